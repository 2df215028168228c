package clip4j.backend;

import clip4j.ClipException;

import java.util.ServiceLoader;

/**
 * Explicit backend selection by device name; the choice is logged, and an unavailable device is an error,
 * never a silent fallback.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("clip4j");

    private Backends() {
    }

    /** The backend the options name. */
    public static Backend create(EngineOptions o) {
        Backend b = switch (o.device()) {
            case "cpu" -> {
                requireVectorApi();
                yield VectorBackend.create(VectorBackend.speciesForBits(o.vectorBits()), o.threads(), o.packWeights());
            }
            case "cpu-reference" -> new ScalarBackend();
            default -> fromProvider(o);
        };
        LOG.log(System.Logger.Level.INFO, "backend " + b.name());
        return b;
    }

    /**
     * The Vector API is an incubator module, so the JVM loads it only when asked; without it the first vector class
     * fails with a bare NoClassDefFoundError. This says what to do instead.
     */
    private static void requireVectorApi() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new ClipException("the cpu backend needs Java's Vector API, which is not enabled: start java with "
                    + "--add-modules jdk.incubator.vector (or use the slow cpu-reference backend)");
        }
    }

    private static Backend fromProvider(EngineOptions o) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.device().equals(o.device())) return p.create(o);
        }
        throw new ClipException("no backend for --device " + o.device() + " (available: cpu, cpu-reference)");
    }
}
