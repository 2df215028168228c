package clip4j.bench;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import clip4j.model.ClipModel;
import clip4j.util.Timing;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Load time, heap and RSS after load, and warm per-image / per-prompt latency of one model file (median of runs).
 * Usage: LoadProbe MODEL IMAGE [threads]. Not a JMH benchmark: it measures the process a CLI user gets.
 */
public final class LoadProbe {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path image = Path.of(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : EngineOptions.defaults().threads();
        long t0 = System.nanoTime();
        try (Backend be = Backends.create(EngineOptions.defaults().withThreads(threads)); ClipModel m = ClipModel.load(model, be)) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf(Locale.ROOT, "load %.0f ms, heap after load %.1f MB, RSS after load %.1f MB, weights %s%n",
                    loadMs, heap / 1e6, rssMb(), m.file().weightDType());
            float[] px = m.preprocessor().preprocess(image);
            List<Double> img = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                long s = System.nanoTime();
                m.imageFeatures(List.of(px));
                img.add((System.nanoTime() - s) / 1e6);
            }
            float[][] eight = new float[8][];
            Arrays.fill(eight, px);
            long s8 = System.nanoTime();
            m.imageFeatures(Arrays.asList(eight));
            double batch8 = (System.nanoTime() - s8) / 1e6 / 8;
            List<Double> txt = new ArrayList<>();
            int[][] ids = {m.tokenize("a photo of a cat.")};
            for (int i = 0; i < 20; i++) {
                long s = System.nanoTime();
                m.textFeatures(ids);
                txt.add((System.nanoTime() - s) / 1e6);
            }
            System.gc();
            long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf(Locale.ROOT, "image: first %.0f ms, median warm %.0f ms, %.0f ms/image at batch 8; "
                            + "prompt \"a photo of a cat.\": first %.1f ms, median warm %.1f ms; RSS now %.1f MB, "
                            + "live heap %.1f MB (packed weights), model file %.1f MB%n",
                    img.getFirst(), Timing.median(img.subList(2, img.size())), batch8, txt.getFirst(), Timing.median(txt.subList(5, txt.size())), rssMb(),
                    live / 1e6, Files.size(model) / 1e6);
        }
    }

    private static double rssMb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        }
        return Double.NaN;
    }
}
