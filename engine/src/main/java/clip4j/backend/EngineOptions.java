package clip4j.backend;

import clip4j.ClipException;

/**
 * How to run the engine, chosen at the edge (the CLI's flags, or the API caller) and passed down: nothing below reads
 * a system property or an environment variable.
 *
 * @param device      "cpu" (Vector API), "cpu-reference" (the scalar reference) or a provider's device ("cuda")
 * @param threads     worker threads of a CPU backend
 * @param vectorBits  the Vector API width: 128, 256 or 512, or 0 for the platform's preferred one
 * @param precision   a device backend's matrix precision (CPU backends are fp32)
 * @param packWeights keep the mapped weight matrices packed on the heap (faster), or pack them per call (less memory)
 */
public record EngineOptions(String device, int threads, int vectorBits, Precision precision, boolean packWeights) {
    /** Matrix precision of a device backend: fp32, or 16-bit tensor-core products with fp32 accumulation. */
    public enum Precision { FP32, FP16, BF16 }

    public EngineOptions {
        if (threads < 1) throw new ClipException("the thread count must be at least 1, not " + threads);
        if (vectorBits != 0 && vectorBits != 128 && vectorBits != 256 && vectorBits != 512) {
            throw new ClipException("the vector width must be 128, 256 or 512 bits, not " + vectorBits);
        }
    }

    /** The Vector API CPU backend on every core, at the platform's width, weights packed once. */
    public static EngineOptions defaults() {
        return new EngineOptions("cpu", Runtime.getRuntime().availableProcessors(), 0, Precision.FP32, true);
    }

    public EngineOptions withDevice(String d) {
        return new EngineOptions(d, threads, vectorBits, precision, packWeights);
    }

    public EngineOptions withThreads(int t) {
        return new EngineOptions(device, t, vectorBits, precision, packWeights);
    }

    public EngineOptions withVectorBits(int bits) {
        return new EngineOptions(device, threads, bits, precision, packWeights);
    }

    public EngineOptions withPrecision(Precision p) {
        return new EngineOptions(device, threads, vectorBits, p, packWeights);
    }

    public EngineOptions withPackWeights(boolean pack) {
        return new EngineOptions(device, threads, vectorBits, precision, pack);
    }
}
