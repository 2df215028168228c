package clip4j.cuda;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.backend.BackendProvider;

import java.util.Locale;

/**
 * {@code --device cuda}: the CUDA backend, fp32 by default, tensor cores with 16-bit activations in the encoder blocks
 * with {@code -Dclip4j.cuda.precision=fp16} or {@code bf16}; the backend's name (logged by Backends) says which.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String device() {
        return "cuda";
    }

    @Override
    public Backend create(int threads) {
        String p = System.getProperty("clip4j.cuda.precision", "fp32").toLowerCase(Locale.ROOT);
        return new CudaBackend(switch (p) {
            case "fp32" -> CudaBackend.Precision.FP32;
            case "fp16" -> CudaBackend.Precision.FP16;
            case "bf16" -> CudaBackend.Precision.BF16;
            default -> throw new ClipException("clip4j.cuda.precision must be fp32, fp16 or bf16, not " + p);
        });
    }
}
