package clip4j.bench;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import clip4j.backend.Epilogue;
import clip4j.io.Tensor;
import clip4j.model.ClipModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where an image encoder's time goes: the model on a backend that times every operation it passes on, grouped by
 * operation and shape, after warm-up passes; each group's share of the pass and its GFLOP/s.
 * <pre>java ... clip4j.bench.OpProfile MODEL [BATCH=1] [PASSES=10] [THREADS=all] [CACHE_DIR] [GEMM_PLAN]</pre>
 * With a cache directory (the CLI's user cache) the cpu backend uses its tuned plan and panel files, as the CLI does;
 * a GEMM plan ("8x2 kc768 mc96 nc8") replaces the tuned one.
 */
public final class OpProfile {
    private OpProfile() {
    }

    /** Time and FLOP per operation group. */
    private static final class Timed implements Backend {
        final Backend be;
        final Map<String, double[]> groups = new HashMap<>(); // key -> {seconds, flop, calls}
        boolean on;

        Timed(Backend be) {
            this.be = be;
        }

        void add(String key, long t0, double flop) {
            if (!on) return;
            double[] g = groups.computeIfAbsent(key, k -> new double[3]);
            g[0] += (System.nanoTime() - t0) / 1e9;
            g[1] += flop;
            g[2]++;
        }

        @Override
        public String name() {
            return be.name();
        }

        @Override
        public void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] out, Epilogue e) {
            long t0 = System.nanoTime();
            be.linear(x, m, k, w, bias, out, e);
            add(String.format("linear %dx%dx%d", m, k, w.shape()[0]), t0, 2.0 * m * k * w.shape()[0]);
        }

        @Override
        public void conv2d(float[] x, int batch, int h, int w, int c, Tensor weight, int kernel, float[] bias, int stride, int pad,
                           float[] out, Epilogue e) {
            long t0 = System.nanoTime();
            be.conv2d(x, batch, h, w, c, weight, kernel, bias, stride, pad, out, e);
            int oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1;
            add(String.format("conv%dx%d/%d %dx%dx%d->%d", kernel, kernel, stride, h, w, c, weight.shape()[0]), t0,
                    2.0 * batch * oh * ow * weight.shape()[0] * weight.shape()[1]);
        }

        @Override
        public void avgPool2d(float[] x, int batch, int h, int w, int c, int kernel, float[] out) {
            long t0 = System.nanoTime();
            be.avgPool2d(x, batch, h, w, c, kernel, out);
            add("avgpool " + kernel, t0, 0);
        }

        @Override
        public void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] out) {
            long t0 = System.nanoTime();
            be.layerNorm(x, rows, cols, gamma, beta, eps, out);
            add("layerNorm", t0, 0);
        }

        @Override
        public void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] out) {
            long t0 = System.nanoTime();
            be.attention(qkv, batch, seq, width, heads, causal, out);
            add("attention seq " + seq, t0, 4.0 * batch * seq * seq * width);
        }

        /** Counted as the operations it stands for (both projections of every token, then the attention). */
        @Override
        public void attentionPool(float[] tokens, int batch, int seq, int width, int heads, float[] q, Tensor kW, float[] kBias,
                                  Tensor vW, float[] vBias, float[] out) {
            long t0 = System.nanoTime();
            be.attentionPool(tokens, batch, seq, width, heads, q, kW, kBias, vW, vBias, out);
            add("attnpool seq " + seq, t0, 4.0 * batch * seq * width * width + 4.0 * batch * seq * width);
        }

        @Override
        public void quickGelu(float[] x, int n) {
            be.quickGelu(x, n);
        }

        @Override
        public void gelu(float[] x, int n) {
            be.gelu(x, n);
        }

        @Override
        public void softmax(float[] x, int off, int n) {
            be.softmax(x, off, n);
        }

        @Override
        public void prepare(String source, List<Tensor> matrices) {
            be.prepare(source, matrices);
        }

        @Override
        public int imageBatch() {
            return be.imageBatch();
        }
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1, passes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        EngineOptions o = EngineOptions.defaults();
        if (args.length > 3) o = o.withThreads(Integer.parseInt(args[3]));
        if (args.length > 4) o = o.withCacheDir(Path.of(args[4]));
        if (args.length > 5) o = o.withGemmPlan(clip4j.backend.GemmPlan.parse(args[5]));
        try (Backend inner = Backends.create(o); Timed be = new Timed(inner); ClipModel m = ClipModel.load(model, be)) {
            int r = m.config().imageSize();
            List<float[]> images = new ArrayList<>();
            java.util.Random rnd = new java.util.Random(1);
            for (int i = 0; i < batch; i++) {
                float[] px = new float[3 * r * r];
                for (int j = 0; j < px.length; j++) px[j] = (float) rnd.nextGaussian();
                images.add(px);
            }
            for (int i = 0; i < 15; i++) m.imageFeatures(images);
            be.on = true;
            long t0 = System.nanoTime();
            for (int i = 0; i < passes; i++) m.imageFeatures(images);
            double total = (System.nanoTime() - t0) / 1e9 / passes, flop = 0, timed = 0;
            List<Map.Entry<String, double[]>> rows = new ArrayList<>(be.groups.entrySet());
            rows.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
            System.out.printf(Locale.ROOT, "%s, batch %d: %.2f ms per pass (%.2f ms per image)%n", be.name(), batch, total * 1e3, total * 1e3 / batch);
            System.out.printf(Locale.ROOT, "%-40s %6s %9s %7s %8s%n", "operation", "calls", "ms/pass", "share", "GFLOP/s");
            for (Map.Entry<String, double[]> e : rows) {
                double[] g = e.getValue();
                flop += g[1];
                timed += g[0];
                System.out.printf(Locale.ROOT, "%-40s %6.0f %9.3f %6.1f%% %8.1f%n", e.getKey(), g[2] / passes, g[0] / passes * 1e3,
                        100 * g[0] / passes / total, g[1] > 0 ? g[1] / g[0] / 1e9 : 0);
            }
            System.out.printf(Locale.ROOT, "operations %.1f%% of the pass; %.2f GFLOP per pass, %.1f GFLOP/s overall%n",
                    100 * timed / passes / total, flop / passes / 1e9, flop / passes / total / 1e9);
        }
    }
}
