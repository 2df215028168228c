package clip4j.backend;

/** A backend living in another module (the CUDA one), found through {@link java.util.ServiceLoader}. */
public interface BackendProvider {
    /** The {@code --device} name it serves, e.g. "cuda". */
    String device();

    Backend create(EngineOptions options);
}
