package clip4j.cuda;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * Each kernel alone on device-resident random data at the ViT-B/32 batch-256 shapes (M = 256·50 = 12800 tokens), for
 * tuning: median time of repeated launches (synchronised), with TFLOP/s or GB/s. No PCIe copies in the timed region.
 */
final class KernelTimings {
    private KernelTimings() {
    }

    static List<String> run(CudaContext cuda) {
        cuda.makeCurrent();
        int m = 12800, w = 768, heads = 12, batch = 256, seq = 50;
        List<String> lines = new ArrayList<>();
        try (DeviceBuffer x = random(m * 4 * w, 1, false); DeviceBuffer wt = random(4 * w * w, 2, false);
             DeviceBuffer x16 = random(m * 4 * w, 3, true); DeviceBuffer w16 = random(4 * w * w, 4, true);
             DeviceBuffer bias = random(4 * w, 5, false); DeviceBuffer y = new DeviceBuffer(); DeviceBuffer vec = random(w, 6, false)) {
            CUdeviceptr dy = y.ensure(4L * m * 4 * w);
            for (int[] s : new int[][]{{m, w, 3 * w}, {m, w, 4 * w}, {m, 4 * w, w}}) {
                int k = s[1], n = s[2];
                int[] g = Launches.linearGrid(m, n);
                double t32 = time(() -> cuda.launch("linear_f32", g[0], g[1], Launches.LINEAR_F32_THREADS,
                        CudaContext.args(x.ensure(0), wt.ensure(0), bias.ensure(0), dy, m, k, n)));
                double t16 = time(() -> cuda.launch("linear_f16", g[0], g[1], Launches.LINEAR_F16_THREADS,
                        CudaContext.args(x16.ensure(0), w16.ensure(0), bias.ensure(0), dy, m, k, n)));
                double flop = 2.0 * m * k * n;
                lines.add(String.format(Locale.ROOT, "kernel linear %dx%dx%d: fp32 %.3f ms (%.1f TFLOP/s), fp16 wmma %.3f ms (%.1f TFLOP/s)",
                        m, k, n, t32 * 1e3, flop / t32 / 1e12, t16 * 1e3, flop / t16 / 1e12));
            }
            double ta = time(() -> cuda.launch("attention_hd64", batch * heads, Launches.ceilDiv(seq, Launches.ATTENTION_QUERIES),
                    Launches.ATTENTION_QUERIES, CudaContext.args(x.ensure(0), seq, w, heads, 0, dy)));
            lines.add(String.format(Locale.ROOT, "kernel attention 256 x 12 heads x 50 tokens: %.3f ms", ta * 1e3));
            double tl = time(() -> cuda.launch("layer_norm", m, 1, Launches.ROW_THREADS, CudaContext.args(x.ensure(0), m, w, vec.ensure(0), vec.ensure(0), 1e-5f, dy)));
            lines.add(String.format(Locale.ROOT, "kernel layer_norm %dx%d: %.3f ms (%.0f GB/s)", m, w, tl * 1e3, 8.0 * m * w / tl / 1e9));
            long count = 4L * m * w;
            double tg = time(() -> cuda.launch("quick_gelu", Launches.elementBlocks(count), 1, Launches.ELEMENT_THREADS, CudaContext.args(dy, count)));
            lines.add(String.format(Locale.ROOT, "kernel quick_gelu %d: %.3f ms (%.0f GB/s)", count, tg * 1e3, 8.0 * count / tg / 1e9));
        }
        return lines;
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
