package clip4j.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * Each kernel alone on device-resident random data at an encoder's shapes (ViT-B/32 at batch 256: M = 256·50 = 12800
 * tokens), and Tip-Adapter's aggregation (ImageNet 16-shot: 1000 × 1000 × 16), for tuning: median time of repeated launches (synchronised),
 * with TFLOP/s or GB/s, and a device-to-device copy as the bandwidth yardstick. No PCIe copies in the timed region.
 */
final class KernelTimings {
    private KernelTimings() {
    }

    static List<String> run(CudaContext cuda, int batch, int seq, int w, int heads, int tipQueries, int tipClasses, int tipShots,
                            int tipDim) {
        cuda.makeCurrent();
        int m = batch * seq;
        List<String> lines = new ArrayList<>();
        try (DeviceBuffer x = random(m * 4 * w, 1, false); DeviceBuffer wt = random(4 * w * w, 2, false); DeviceBuffer x16 = random(m * 4 * w, 3, true);
             DeviceBuffer w16 = random(4 * w * w, 4, true); DeviceBuffer bias = random(4 * w, 5, false);
             DeviceBuffer y = new DeviceBuffer(); DeviceBuffer vec = random(w, 6, false)) {
            CUdeviceptr dy = y.ensure(4L * m * 4 * w);
            for (int[] s : new int[][]{{m, w, 3 * w}, {m, w, 4 * w}, {m, 4 * w, w}}) {
                int k = s[1], n = s[2];
                double flop = 2.0 * m * k * n;
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "kernel linear %dx%dx%d (+bias, GELU epilogue):", m, k, n));
                for (String kernel : new String[]{"linear_f32", "linear_f16", "linear_f16_x16", "linear_bf16_x16"}) {
                    boolean tc = !kernel.equals("linear_f32"), half = kernel.endsWith("_x16");
                    int[] g = Launches.linearGrid(m, n, tc);
                    double t = time(() -> cuda.launch(kernel, g[0], g[1], tc ? Launches.LINEAR_TC_THREADS : Launches.LINEAR_F32_THREADS,
                            Launches.linearShared(kernel), CudaContext.args((half ? x16 : x).ensure(0), (tc ? w16 : wt).ensure(0), bias.ensure(0), dy, m, k, n, Launches.EPI_GELU)));
                    line.append(String.format(Locale.ROOT, " %s %.3f ms (%.1f TFLOP/s);", kernel.substring(7), t * 1e3, flop / t / 1e12));
                }
                lines.add(line.toString());
            }
            for (String type : new String[]{"", "f16"}) {
                int[] ag = Launches.attentionGrid(type, batch, seq, w, heads);
                double ta = time(() -> cuda.launch(Launches.attentionKernel(type, w, heads), ag[0], ag[1], Launches.attentionThreads(type, w, heads),
                        CudaContext.args((type.isEmpty() ? x : x16).ensure(0), seq, w, heads, 0, dy)));
                lines.add(String.format(Locale.ROOT, "kernel %s %d x %d heads x %d tokens: %.3f ms (%.1f TFLOP/s)",
                        Launches.attentionKernel(type, w, heads), batch, heads, seq, ta * 1e3, 4.0 * batch * seq * seq * w / ta / 1e12));
            }
            double tl = time(() -> cuda.launch("layer_norm", Launches.rowBlocks(m), 1, Launches.ROW_THREADS,
                    CudaContext.args(x.ensure(0), m, w, vec.ensure(0), vec.ensure(0), 1e-5f, dy, new CUdeviceptr())));
            lines.add(String.format(Locale.ROOT, "kernel layer_norm %dx%d: %.3f ms (%.0f GB/s)", m, w, tl * 1e3, 8.0 * m * w / tl / 1e9));
            long bytes = 4L * m * 4 * w;
            double tc = time(() -> cuMemcpyDtoD(dy, x.ensure(0), bytes));
            lines.add(String.format(Locale.ROOT, "device copy %d MB: %.3f ms (%.0f GB/s read + write: the HBM bandwidth this check measures)",
                    bytes >> 20, tc * 1e3, 2.0 * bytes / tc / 1e9));
            lines.addAll(tip(cuda, tipQueries, tipClasses, tipShots, tipDim, 2.0 * bytes / tc));
        }
        return lines;
    }

    /**
     * Tip-Adapter's cache ops (ImageNet: 1000 queries × 1000 classes × 16 shots, D = 512) on device-resident data:
     * tip_cache_logits alone (it must read the [queries, keys] affinities and the zero-shot logits and write the
     * logits once), then the whole op as CudaBackend runs it in fp16 (both products on the tensor cores, then the
     * aggregation), each against the measured copy bandwidth; for the whole op the bound counts only the bytes that
     * must cross HBM (queries, class weights, keys, logits).
     */
    private static List<String> tip(CudaContext cuda, int q, int classes, int shots, int d, double copyBytesPerSecond) {
        int keys = classes * shots;
        int[] labels = new int[keys];
        for (int i = 0; i < keys; i++) labels[i] = i / shots;
        int[][] index = Launches.classIndex(labels, classes);
        try (DeviceBuffer aff = random(q * keys, 7, false); DeviceBuffer zs = random(q * classes, 8, false); DeviceBuffer out = new DeviceBuffer();
             DeviceBuffer offsets = new DeviceBuffer()) {
            cuMemcpyHtoD(offsets.ensure(4L * (classes + 1)), Pointer.to(index[1]), 4L * (classes + 1));
            CUdeviceptr dout = out.ensure(4L * q * classes);
            int[] g = Launches.tipGrid(q, classes);
            double t = time(() -> cuda.launch("tip_cache_logits", g[0], g[1], Launches.ROW_THREADS,
                    CudaContext.args(aff.ensure(0), new CUdeviceptr(), offsets.ensure(0), zs.ensure(0), q, keys, classes, 100f, 1f, 5.5f, dout)));
            double bytes = 4.0 * ((long) q * keys + 2L * q * classes);  // keys stored class by class: no order array
            List<String> lines = new ArrayList<>();
            lines.add(String.format(Locale.ROOT, "kernel tip_cache_logits %d queries x %d classes x %d shots: %.3f ms, %.0f GB/s = %.0f %% of "
                    + "the measured copy bandwidth", q, classes, shots, t * 1e3, bytes / t / 1e9, 100 * bytes / t / copyBytesPerSecond));
            try (DeviceBuffer x = random(q * d, 9, false); DeviceBuffer w16 = random(classes * d, 10, true); DeviceBuffer k16 = random(keys * d, 11, true)) {
                int[] gz = Launches.linearGrid(q, classes, true), ga = Launches.linearGrid(q, keys, true);
                double whole = time(() -> {
                    cuda.launch("linear_f16", gz[0], gz[1], Launches.LINEAR_TC_THREADS,
                            CudaContext.args(x.ensure(0), w16.ensure(0), new CUdeviceptr(), zs.ensure(0), q, d, classes, Launches.EPI_NONE));
                    cuda.launch("linear_f16", ga[0], ga[1], Launches.LINEAR_TC_THREADS,
                            CudaContext.args(x.ensure(0), k16.ensure(0), new CUdeviceptr(), aff.ensure(0), q, d, keys, Launches.EPI_NONE));
                    cuda.launch("tip_cache_logits", g[0], g[1], Launches.ROW_THREADS,
                            CudaContext.args(aff.ensure(0), new CUdeviceptr(), offsets.ensure(0), zs.ensure(0), q, keys, classes, 100f, 1f, 5.5f, dout));
                });
                double must = 4.0 * q * d + 2.0 * (classes + keys) * d + 4.0 * q * classes;
                lines.add(String.format(Locale.ROOT, "Tip-Adapter whole op on the device (fp16 products + aggregation): %.3f ms; the bytes that must "
                                + "cross HBM (%.1f MB) take %.3f ms at the measured copy bandwidth: %.0f %% of that bound; %.1f TFLOP/s in the products",
                        whole * 1e3, must / 1e6, must / copyBytesPerSecond * 1e3, 100 * must / copyBytesPerSecond / whole,
                        2.0 * q * d * (classes + keys) / whole / 1e12));
            }
            return lines;
        }
    }

    /** A device buffer of count small random normals, as fp32 or as fp16 bits. */
    private static DeviceBuffer random(int count, long seed, boolean half) {
        DeviceBuffer b = new DeviceBuffer();
        Random r = new Random(seed);
        if (half) {
            short[] host = new short[count];
            for (int i = 0; i < count; i++) host[i] = Float.floatToFloat16((float) (r.nextGaussian() * 0.05));
            cuMemcpyHtoD(b.ensure(2L * count), Pointer.to(host), 2L * count);
        } else {
            float[] host = new float[count];
            for (int i = 0; i < count; i++) host[i] = (float) (r.nextGaussian() * 0.05);
            cuMemcpyHtoD(b.ensure(4L * count), Pointer.to(host), 4L * count);
        }
        return b;
    }

    /** Median seconds of a launch over 20 synchronised repetitions, after 3 warm-ups. */
    private static double time(Runnable launch) {
        for (int i = 0; i < 3; i++) launch.run();
        cuCtxSynchronize();
        double[] t = new double[20];
        for (int i = 0; i < t.length; i++) {
            long s = System.nanoTime();
            launch.run();
            cuCtxSynchronize();
            t[i] = (System.nanoTime() - s) / 1e9;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }
}
