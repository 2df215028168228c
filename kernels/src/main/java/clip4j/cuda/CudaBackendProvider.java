package clip4j.cuda;

import clip4j.backend.Backend;
import clip4j.backend.BackendProvider;
import clip4j.backend.EngineOptions;

/**
 * {@code --device cuda}: the CUDA backend, fp32 by default, tensor cores with 16-bit activations in the encoder blocks
 * at the options' fp16 or bf16 precision; the backend's name (logged by Backends) says which.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String device() {
        return "cuda";
    }

    @Override
    public Backend create(EngineOptions options) {
        return new CudaBackend(options.precision());
    }
}
