package clip4j.cuda;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions.Precision;
import clip4j.backend.EngineOptions;
import clip4j.io.DType;
import clip4j.io.Tensor;
import clip4j.model.Architectures;
import clip4j.model.ClipConfig;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;
import clip4j.model.SeededWeights;
import clip4j.model.VisionTransformer;
import clip4j.util.Timing;
import jcuda.driver.CUdeviceptr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;

/**
 * The GPU machine's check (kernels/device-check.sh runs it there): the seeded ViT-B/32 on the CUDA backend against the
 * CPU path (L2-normalised embeddings, max abs: ≤ 2e-5 fp32, ≤ 1e-3 fp16, ≤ 1e-2 bf16), then image throughput at
 * batch 1, 32 and 256 (from the Java heap, and with the pixels already on the device as PyTorch is timed) and text
 * throughput at batch 256, in each precision, and the per-kernel timings. Prints a summary last; exits 1 when parity
 * fails.
 * Usage: DeviceCheck [seconds per measure] [--dry-run]; --dry-run runs the same code on the test-tiny model at tiny sizes
 * (kernels/device-check.sh dry-run does so here, on the CPU emulation of the driver, before GPU minutes are spent).
 */
public final class DeviceCheck {
    private DeviceCheck() {
    }

    /** The sizes the check runs at: the issue's, or a dry run's. */
    record Plan(String arch, int[] imageBatches, int textBatch, int tipQueries, int tipClasses, int tipShots, int tipDim) {
        static final Plan FULL = new Plan("ViT-B-32-quickgelu", new int[]{1, 32, 256}, 256, 1000, 1000, 16, 512);
        static final Plan DRY = new Plan("test-tiny", new int[]{1, 3}, 3, 3, 5, 2, 64);

        int maxBatch() {
            return Arrays.stream(imageBatches).max().orElseThrow();
        }
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        Plan plan = Arrays.asList(args).contains("--dry-run") ? Plan.DRY : Plan.FULL;
        ClipConfig c = Architectures.byName(plan.arch());
        Path file = SeededWeights.writeTempModel(c, 0, null, DType.F32);
        List<String> summary = new ArrayList<>();
        boolean ok = true;
        try {
            List<float[]> images = images(c, Math.max(4, plan.maxBatch()));
            int[][] prompts = prompts(c, Math.max(4, plan.textBatch()));
            float[][][] cpu;
            try (Backend be = Backends.create(EngineOptions.defaults()); ClipModel m = ClipModel.load(file, be)) {
                cpu = embeddings(m, images.subList(0, 4), Arrays.copyOf(prompts, 4));
            }
            // fp16 first (the target), the per-kernel timings last: a kernel that faults on the device must not
            // take the other numbers with it
            for (Precision p : List.of(Precision.FP16, Precision.FP32, Precision.BF16)) {
                try (CudaBackend gpu = new CudaBackend(p); ClipModel m = ClipModel.load(file, gpu)) {
                    System.out.println("device: " + gpu.name());
                    float[][][] got = embeddings(m, images.subList(0, 4), Arrays.copyOf(prompts, 4));
                    double di = maxAbs(cpu[0], got[0]), dt = maxAbs(cpu[1], got[1]);
                    double tol = switch (p) {
                        case FP32 -> 2e-5;
                        case FP16 -> 1e-3;
                        case BF16 -> 1e-2; // 8-bit mantissa: no target in the issue, reported for comparison
                    };
                    boolean pass = di <= tol && dt <= tol;
                    ok &= pass;
                    report(summary, String.format(Locale.ROOT, "%s parity vs CPU: image %.2e, text %.2e (limit %.0e) %s", p, di, dt, tol, pass ? "PASS" : "FAIL"));
                    for (int b : plan.imageBatches()) {
                        List<float[]> batch = images.subList(0, b);
                        double s = Timing.measure(() -> m.imageFeatures(batch), 1, seconds);
                        double dev = visionDeviceSeconds(gpu, (VisionTransformer) m.visual(), batch, seconds);
                        report(summary, String.format(Locale.ROOT, "%s image batch %d: %.1f images/s from the Java heap (%.2f ms per batch); "
                                + "%.1f images/s with the pixels on the device (%.2f ms)", p, b, b / s, s * 1e3, b / dev, dev * 1e3));
                    }
                    int[][] texts = Arrays.copyOf(prompts, plan.textBatch());
                    double s = Timing.measure(() -> m.textFeatures(texts), 1, seconds);
                    report(summary, String.format(Locale.ROOT, "%s text batch %d: %.1f prompts/s (%.2f ms per batch)", p, texts.length,
                            texts.length / s, s * 1e3));
                    report(summary, tip(gpu, p, plan, seconds));
                } catch (RuntimeException e) {
                    // keep going: one failing precision must not hide the other's numbers
                    ok = false;
                    report(summary, p + " FAILED: " + e);
                    e.printStackTrace();
                }
            }
            try (CudaBackend gpu = new CudaBackend(Precision.FP32)) {
                for (String line : KernelTimings.run(gpu.context(), plan.maxBatch(), c.visionTokens(), c.visionWidth(), c.visionHeads(),
                        plan.tipQueries(), plan.tipClasses(), plan.tipShots(), plan.tipDim())) {
                    report(summary, line);
                }
            } catch (RuntimeException e) {
                ok = false;
                report(summary, "kernel timings FAILED: " + e);
                e.printStackTrace();
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.out.println("---- clip4j device check ----");
        summary.forEach(System.out::println);
        if (!ok) System.exit(1);
    }

    /** A summary line, printed at once too (a run cut short by the device's time limit still shows what it measured). */
    private static void report(List<String> summary, String line) {
        System.out.println(line);
        summary.add(line);
    }

    /**
     * Tip-Adapter logits (ImageNet: 1000 queries, 1000 classes × 16 shots, D = 512, as AdapterBench) with the class
     * weights and the cache keys in native memory, so they go to the device once, as a deployed adapter's would; the
     * queries go up and the logits come down on every call. The bytes the data must cross once per call: queries,
     * class weights, keys, logits (the affinities can stay on chip).
     */
    /**
     * Seconds per batch of the image tower's device part alone (pixels already on the device, features left there):
     * the time PyTorch reports for a model whose input is a CUDA tensor.
     */
    static double visionDeviceSeconds(CudaBackend gpu, VisionTransformer t, List<float[]> images, double seconds) throws Exception {
        synchronized (gpu) {
            gpu.context().makeCurrent();
            CUdeviceptr px = gpu.uploadImages(t, images);
            return Timing.measure(() -> {
                gpu.visionOn(t, px, images.size());
                cuCtxSynchronize();
            }, 1, seconds);
        }
    }

    static String tip(CudaBackend gpu, Precision p, Plan plan, double seconds) throws Exception {
        int q = plan.tipQueries(), d = plan.tipDim(), classes = plan.tipClasses(), keys = classes * plan.tipShots();
        float[] x = unitRows(d, q);
        int[] labels = new int[keys];
        for (int i = 0; i < keys; i++) labels[i] = i / plan.tipShots();
        float[] out = new float[q * classes];
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = nativeMatrix(arena, unitRows(d, classes), classes, d), k = nativeMatrix(arena, unitRows(d, keys), keys, d);
            double s = Timing.measure(() -> gpu.tipAdapterLogits(x, q, d, w, k, labels, 100, 1.0, 5.5, out), 1, seconds);
            double bytes = 4.0 * ((long) q * d + (long) classes * d + (long) keys * d + (long) q * classes);
            return String.format(Locale.ROOT, "%s Tip-Adapter %d queries x %d classes x %d shots, cache on the device: %.2f ms per call "
                            + "(%.1f MB touched once: %.1f GB/s effective; queries up and logits down over PCIe included)", p, q, classes,
                    plan.tipShots(), s * 1e3, bytes / 1e6, bytes / s / 1e9);
        }
    }

    /** A [rows, cols] f32 matrix in native memory, like a mapped model tensor (the backend uploads it once). */
    static Tensor nativeMatrix(Arena arena, float[] v, int rows, int cols) {
        MemorySegment seg = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v.length);
        return new Tensor("cache", DType.F32, new long[]{rows, cols}, seg);
    }

    /** count rows of width d, standard normal scaled to about unit norm, flattened. */
    static float[] unitRows(int d, int count) {
        Random r = new Random(3 + d + count);
        float[] a = new float[d * count];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() / Math.sqrt(d));
        return a;
    }

    /** Seeded pixel tensors (standard normal, like normalised images). */
    static List<float[]> images(ClipConfig c, int n) {
        Random r = new Random(1);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] p = new float[3 * c.imageSize() * c.imageSize()];
            for (int j = 0; j < p.length; j++) p[j] = (float) r.nextGaussian();
            out.add(p);
        }
        return out;
    }

    /** Token-id prompts of 5 to 20 tokens, SOT first and EOT (the largest id) last. */
    static int[][] prompts(ClipConfig c, int n) {
        Random r = new Random(2);
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) {
            int len = 5 + r.nextInt(16);
            out[i] = new int[len];
            out[i][0] = c.vocabSize() - 2;
            for (int t = 1; t < len - 1; t++) out[i][t] = 1 + r.nextInt(c.vocabSize() - 3);
            out[i][len - 1] = c.vocabSize() - 1;
        }
        return out;
    }

    static float[][][] embeddings(ClipModel m, List<float[]> images, int[][] prompts) {
        return new float[][][]{Embeddings.normalizeRows(m.imageFeatures(images)), Embeddings.normalizeRows(m.textFeatures(prompts))};
    }

    static double maxAbs(float[][] a, float[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
        }
        return worst;
    }
}
