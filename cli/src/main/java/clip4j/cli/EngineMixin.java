package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.ClipException;
import clip4j.backend.EngineOptions;
import clip4j.backend.GemmPlan;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.Locale;

/**
 * How to run the engine: the options every computing command takes, checked as they are parsed (a bad value is bad
 * usage, exit 2) and turned into the library's {@link EngineOptions}.
 */
final class EngineMixin {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "NAME", description = "cpu (Vector API), cpu-reference (plain Java, slow) or cuda "
            + "(NVIDIA GPU, driver 580+)")
    String device;

    private int threads = EngineOptions.defaults().threads();
    private int vectorBits;
    private EngineOptions.Precision precision = EngineOptions.Precision.FP32;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads of the cpu backend (default: all cores)")
    void threads(int t) {
        if (t < 1) throw bad("--threads must be at least 1, not " + t);
        threads = t;
    }

    @Option(names = "--vector-bits", paramLabel = "BITS", description = "Vector API width of the cpu backend: 128, 256 or 512 "
            + "(default: the CPU's preferred width)")
    void vectorBits(int bits) {
        if (bits != 128 && bits != 256 && bits != 512) throw bad("--vector-bits must be 128, 256 or 512, not " + bits);
        vectorBits = bits;
    }

    @Option(names = "--precision", paramLabel = "P", description = "matrix precision of the cuda backend: fp32 (default), fp16 or bf16 "
            + "(tensor cores, 16-bit activations in the encoder blocks)")
    void precision(String p) {
        precision = switch (p.toLowerCase(Locale.ROOT)) {
            case "fp32" -> EngineOptions.Precision.FP32;
            case "fp16" -> EngineOptions.Precision.FP16;
            case "bf16" -> EngineOptions.Precision.BF16;
            default -> throw bad("--precision must be fp32, fp16 or bf16, not " + p);
        };
    }

    @Option(names = "--pack-per-call", description = "pack the weight matrices per call instead of once (less memory, slower)")
    boolean packPerCall;

    @Option(names = "--retune", description = "time the cpu backend's matrix-product plans again before running (the choice is "
            + "kept in the user cache, keyed by CPU, cores, JDK, vector width and threads)")
    boolean retune;

    private ParameterException bad(String message) {
        return new ParameterException(command.commandLine(), message);
    }

    EngineOptions options() {
        return new EngineOptions(device, threads, vectorBits, precision, !packPerCall, UserCache.dir(), retune, gemmPlan());
    }

    /**
     * $CLIP4J_GEMM_PLAN: a GEMM plan ("8x2 kc768 mc96 nc8", as 'clip4j tune' prints them) to use instead of the tuned
     * one, for comparing plans and for tests that must not spend the tuner's seconds; unset or empty for the tuned one.
     */
    private GemmPlan gemmPlan() {
        String p = System.getenv("CLIP4J_GEMM_PLAN");
        if (p == null || p.isBlank() || !device.equals("cpu")) return null;
        try {
            return GemmPlan.parse(p);
        } catch (ClipException e) {
            throw bad("CLIP4J_GEMM_PLAN: " + e.getMessage());
        }
    }

    Backend backend() {
        return Backends.create(options());
    }
}
