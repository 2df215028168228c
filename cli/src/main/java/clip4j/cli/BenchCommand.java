package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.model.ClipModel;
import clip4j.util.Timing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/** Whole-encoder throughput from the command line (JMH in bench/ is the rigorous harness). Last line: the rate. */
@Command(name = "bench", header = "Encoder throughput: bench image | bench text.",
        description = {"Encoder throughput from the command line: 'bench image' and 'bench text' (the JMH benchmarks in "
                + "bench/ are the rigorous harness). Each warms up, then times whole calls for --seconds and reports the "
                + "median; the last stdout line is the rate."},
        footer = {"", "Examples:", "  clip4j bench image --model m.safetensors --batch 8 --threads 2",
                "  clip4j bench text --model m.safetensors --text \"a photo of a cat.\""},
        subcommands = {BenchCommand.Image.class, BenchCommand.Text.class})
final class BenchCommand {
    private BenchCommand() {
    }

    @Command(name = "image", header = "Image encoder throughput.",
            description = {"Image encoder throughput on random preprocessed images (decoding not included); "
                    + "last stdout line: images_per_s X."},
            footer = {"", "Example:", "  clip4j bench image --model m.safetensors --batch 8 --seconds 20"})
    static final class Image implements Callable<Integer> {
        @Mixin
        ModelOptions opts;

        @Option(names = "--batch", defaultValue = "8", description = "images per call")
        int batch;

        @Option(names = "--seconds", defaultValue = "10", description = "how long to measure")
        double seconds;

        @Mixin
        CommonOptions common;

        @Override
        public Integer call() throws Exception {
            try (Backend be = opts.backend(); ClipModel m = opts.load(be)) {
                int r = m.config().imageSize();
                Random rnd = new Random(1);
                List<float[]> px = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    float[] p = new float[3 * r * r];
                    for (int j = 0; j < p.length; j++) p[j] = (float) rnd.nextGaussian();
                    px.add(p);
                }
                double sec = Timing.measure(() -> m.imageFeatures(px), 1, seconds);
                Log.info(String.format(Locale.ROOT, "batch %d: median %.1f ms per batch, %.1f ms per image", batch, sec * 1e3, sec * 1e3 / batch));
                Output.line(String.format(Locale.ROOT, "images_per_s %.2f", batch / sec));
            }
            return 0;
        }
    }

    @Command(name = "text", header = "Text encoder throughput.",
            description = {"Text encoder throughput for one prompt (tokenising not included); last stdout line: prompts_per_s X."},
            footer = {"", "Example:", "  clip4j bench text --model m.safetensors --batch 64"})
    static final class Text implements Callable<Integer> {
        @Mixin
        ModelOptions opts;

        @Option(names = "--text", defaultValue = "a photo of a cat.", description = "the prompt")
        String text;

        @Option(names = "--batch", defaultValue = "1", description = "copies of the prompt encoded together")
        int batch;

        @Option(names = "--seconds", defaultValue = "10", description = "how long to measure")
        double seconds;

        @Mixin
        CommonOptions common;

        @Override
        public Integer call() throws Exception {
            try (Backend be = opts.backend(); ClipModel m = opts.load(be)) {
                int[][] ids = new int[batch][];
                for (int i = 0; i < batch; i++) ids[i] = m.tokenize(text);
                double sec = Timing.measure(() -> m.textFeatures(ids), 1, seconds);
                Log.info(String.format(Locale.ROOT, "\"%s\" x %d: median %.2f ms per call", text, batch, sec * 1e3));
                Output.line(String.format(Locale.ROOT, "prompts_per_s %.2f", batch / sec));
            }
            return 0;
        }
    }
}
