package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import picocli.CommandLine.Option;

import java.util.Locale;

/** How to run the engine: the options every computing command takes, turned into the library's {@link EngineOptions}. */
final class EngineMixin {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "NAME", description = "cpu (Vector API), cpu-reference (plain Java, slow) or cuda "
            + "(NVIDIA GPU, driver 580+)")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--vector-bits", paramLabel = "BITS", defaultValue = "0", description = "Vector API width of the cpu backend: 128, 256 or 512 "
            + "(default: the CPU's preferred width)")
    int vectorBits;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32", description = "matrix precision of the cuda backend: fp32, fp16 or bf16 "
            + "(tensor cores, 16-bit activations in the encoder blocks)")
    String precision;

    @Option(names = "--pack-per-call", description = "pack the weight matrices per call instead of once (less memory, slower)")
    boolean packPerCall;

    EngineOptions options() {
        EngineOptions.Precision p = switch (precision.toLowerCase(Locale.ROOT)) {
            case "fp32" -> EngineOptions.Precision.FP32;
            case "fp16" -> EngineOptions.Precision.FP16;
            case "bf16" -> EngineOptions.Precision.BF16;
            default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--precision must be fp32, fp16 or bf16, not " + precision);
        };
        EngineOptions d = EngineOptions.defaults();
        return new EngineOptions(device, threads == null ? d.threads() : threads, vectorBits, p, !packPerCall);
    }

    Backend backend() {
        return Backends.create(options());
    }
}
