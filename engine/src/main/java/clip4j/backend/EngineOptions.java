package clip4j.backend;

import clip4j.ClipException;

import java.nio.file.Path;

/**
 * How to run the engine, chosen at the edge (the CLI's flags, or the API caller) and passed down: nothing below reads
 * a system property or an environment variable.
 *
 * @param device      "cpu" (Vector API), "cpu-reference" (the scalar reference) or a provider's device ("cuda")
 * @param threads     worker threads of a CPU backend
 * @param vectorBits  the Vector API width: 128, 256 or 512, or 0 for the platform's preferred one
 * @param precision   a device backend's matrix precision (CPU backends are fp32)
 * @param packWeights keep the weight matrices packed (in mapped panel files under the cache directory, or in memory
 *                    without one), or pack them per call (less memory)
 * @param cacheDir    where the CPU backend keeps its tuned GEMM plans and packed weights; null for nowhere (then the
 *                    GEMM runs an untuned plan and packs in memory)
 * @param retune      time the GEMM plans again even when one is cached
 * @param gemmPlan    the GEMM plan to use instead of the tuned one (benchmarks), or null
 */
public record EngineOptions(String device, int threads, int vectorBits, Precision precision, boolean packWeights, Path cacheDir,
                            boolean retune, GemmPlan gemmPlan) {
    /** Matrix precision of a device backend: fp32, or 16-bit tensor-core products with fp32 accumulation. */
    public enum Precision { FP32, FP16, BF16 }

    public EngineOptions {
        if (threads < 1) throw new ClipException("the thread count must be at least 1, not " + threads);
        if (vectorBits != 0 && vectorBits != 128 && vectorBits != 256 && vectorBits != 512) {
            throw new ClipException("the vector width must be 128, 256 or 512 bits, not " + vectorBits);
        }
    }

    /** The Vector API CPU backend on every core, at the platform's width, weights packed once, no cache directory. */
    public static EngineOptions defaults() {
        return new EngineOptions("cpu", Runtime.getRuntime().availableProcessors(), 0, Precision.FP32, true, null, false, null);
    }

    public EngineOptions withDevice(String d) {
        return new EngineOptions(d, threads, vectorBits, precision, packWeights, cacheDir, retune, gemmPlan);
    }

    public EngineOptions withThreads(int t) {
        return new EngineOptions(device, t, vectorBits, precision, packWeights, cacheDir, retune, gemmPlan);
    }

    public EngineOptions withVectorBits(int bits) {
        return new EngineOptions(device, threads, bits, precision, packWeights, cacheDir, retune, gemmPlan);
    }

    public EngineOptions withPrecision(Precision p) {
        return new EngineOptions(device, threads, vectorBits, p, packWeights, cacheDir, retune, gemmPlan);
    }

    public EngineOptions withPackWeights(boolean pack) {
        return new EngineOptions(device, threads, vectorBits, precision, pack, cacheDir, retune, gemmPlan);
    }

    public EngineOptions withCacheDir(Path dir) {
        return new EngineOptions(device, threads, vectorBits, precision, packWeights, dir, retune, gemmPlan);
    }

    public EngineOptions withRetune(boolean r) {
        return new EngineOptions(device, threads, vectorBits, precision, packWeights, cacheDir, r, gemmPlan);
    }

    public EngineOptions withGemmPlan(GemmPlan p) {
        return new EngineOptions(device, threads, vectorBits, precision, packWeights, cacheDir, retune, p);
    }
}
