package clip4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;
import clip4j.util.Timing;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * clip4j against ONNX Runtime on the same machine, same weights (exported by bench/compare/export_onnx.py), same
 * threads: fidelity first, then rounds that alternate the two engines on each workload; medians and ratios at the end.
 * Usage: OrtCompare ONNX_DIR CLIP4J_MODEL [threads] [rounds] [seconds-per-measure] [cache-dir]; with a cache directory
 * clip4j runs as the CLI does (the tuned GEMM plan, kept or tuned now, and the weights' panel file there).
 */
public final class OrtCompare {
    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    public static void main(String[] args) throws Exception {
        Path onnx = Path.of(args[0]);
        Path model = Path.of(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        double seconds = args.length > 4 ? Double.parseDouble(args[4]) : 4;
        Path cache = args.length > 5 ? Path.of(args[5]) : null;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(threads);
        so.setInterOpNumThreads(1);
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        long t0 = System.nanoTime();
        OrtSession image = env.createSession(onnx.resolve("image.onnx").toString(), so);
        double imageSession = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        OrtSession text = env.createSession(onnx.resolve("text.onnx").toString(), so);
        double textSession = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        try (Backend be = Backends.create(EngineOptions.defaults().withThreads(threads).withCacheDir(cache)); ClipModel m = ClipModel.load(model, be)) {
            double clipLoad = (System.nanoTime() - t0) / 1e9;
            int r = m.config().imageSize();
            Random rnd = new Random(1);
            List<float[]> px = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                float[] p = new float[3 * r * r];
                for (int j = 0; j < p.length; j++) p[j] = (float) rnd.nextGaussian();
                px.add(p);
            }
            float[] flat8 = new float[8 * 3 * r * r];
            for (int i = 0; i < 8; i++) System.arraycopy(px.get(i), 0, flat8, i * 3 * r * r, 3 * r * r);
            OnnxTensor img1 = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat8, 0, 3 * r * r), new long[]{1, 3, r, r});
            OnnxTensor img8 = OnnxTensor.createTensor(env, FloatBuffer.wrap(flat8), new long[]{8, 3, r, r});
            int[] ids = m.tokenize("a photo of a cat.");
            long[] ids1 = new long[77];
            for (int i = 0; i < 77; i++) ids1[i] = ids[i];
            long[] ids16 = new long[16 * 77];
            for (int b = 0; b < 16; b++) System.arraycopy(ids1, 0, ids16, b * 77, 77);
            OnnxTensor txt1 = OnnxTensor.createTensor(env, LongBuffer.wrap(ids1), new long[]{1, 77});
            OnnxTensor txt16 = OnnxTensor.createTensor(env, LongBuffer.wrap(ids16), new long[]{16, 77});
            int[][] c1 = {ids};
            int[][] c16 = new int[16][];
            java.util.Arrays.fill(c16, ids);
            List<float[]> one = List.of(px.getFirst());

            float[] ortImg, ortTxt;
            try (OrtSession.Result res = image.run(Map.of("pixels", img1))) {
                ortImg = ((float[][]) res.get(0).getValue())[0];
            }
            try (OrtSession.Result res = text.run(Map.of("ids", txt1))) {
                ortTxt = ((float[][]) res.get(0).getValue())[0];
            }
            double dImg = maxAbs(Embeddings.normalize(ortImg), Embeddings.normalize(m.imageFeatures(one)[0]));
            double dTxt = maxAbs(Embeddings.normalize(ortTxt), Embeddings.normalize(m.textFeatures(c1)[0]));
            System.out.printf(Locale.ROOT, "fidelity (max abs, L2-normalised, clip4j vs ONNX Runtime): image %.2e, text %.2e%n", dImg, dTxt);
            System.out.printf(Locale.ROOT, "start-up: ONNX Runtime sessions %.2f s (image) + %.2f s (text); clip4j model load %.2f s%n",
                    imageSession, textSession, clipLoad);

            Map<String, Timing.Op[]> work = new LinkedHashMap<>();
            work.put("image batch 1 (ms/image)", new Timing.Op[]{() -> close(image.run(Map.of("pixels", img1))), () -> m.imageFeatures(one)});
            work.put("image batch 8 (ms/image)", new Timing.Op[]{() -> close(image.run(Map.of("pixels", img8))), () -> m.imageFeatures(px)});
            work.put("text batch 1 (ms/prompt)", new Timing.Op[]{() -> close(text.run(Map.of("ids", txt1))), () -> m.textFeatures(c1)});
            work.put("text batch 16 (ms/prompt)", new Timing.Op[]{() -> close(text.run(Map.of("ids", txt16))), () -> m.textFeatures(c16)});
            int[] per = {1, 8, 1, 16};
            Map<String, List<double[]>> results = new LinkedHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                int w = 0;
                for (Map.Entry<String, Timing.Op[]> e : work.entrySet()) {
                    double ort = Timing.measure(e.getValue()[0], 0.5, seconds) / per[w] * 1e3;
                    double c4j = Timing.measure(e.getValue()[1], 0.5, seconds) / per[w] * 1e3;
                    results.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new double[]{ort, c4j});
                    System.out.printf(Locale.ROOT, "round %d  %-26s ORT %8.2f  clip4j %8.2f  ratio %.2fx%n", round, e.getKey(), ort, c4j, ort / c4j);
                    w++;
                }
            }
            System.out.println("medians over rounds (ratio = ONNX Runtime time / clip4j time; > 1 means clip4j is faster):");
            for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
                List<Double> o = new ArrayList<>(), c = new ArrayList<>(), q = new ArrayList<>();
                for (double[] v : e.getValue()) {
                    o.add(v[0]);
                    c.add(v[1]);
                    q.add(v[0] / v[1]);
                }
                System.out.printf(Locale.ROOT, "  %-26s ORT %8.2f  clip4j %8.2f  ratio %.2fx%n", e.getKey(), Timing.median(o), Timing.median(c), Timing.median(q));
            }
        }
    }

    private static void close(OrtSession.Result r) {
        r.close();
    }
}
