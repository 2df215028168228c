package clip4j.fewshot;

import clip4j.backend.ScalarBackend;
import clip4j.backend.VectorBackend;
import clip4j.model.Embeddings;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-computed cases, finite-difference gradient checks and the search against its brute-force twin. */
class AdapterMathTest {
    static float[][] randomUnit(int n, int d, Random r) {
        float[][] a = new float[n][d];
        for (float[] row : a) for (int i = 0; i < d; i++) row[i] = (float) r.nextGaussian();
        return Embeddings.normalizeRows(a);
    }

    @Test
    void tipAdapterHandComputed() {
        float[][] w = {{1, 0}, {0, 1}};
        float[][] keys = {{1, 0}, {0.6f, 0.8f}};
        TipAdapter tip = new TipAdapter(w, keys, new int[]{0, 1});
        float[] f = {0.6f, 0.8f};
        double[] z = tip.logits(f, 2.0, 3.0);
        // class 0: 100·0.6 + 2·exp(−3·(1 − 0.6)); class 1: 100·0.8 + 2·exp(−3·(1 − 1))
        assertEquals(60 + 2 * Math.exp(-1.2), z[0], 1e-5);
        assertEquals(80 + 2 * 1.0, z[1], 1e-5);
    }

    @Test
    void metaAdapterHandComputed() {
        // zero projections: uniform attention over [w; s]; bias-only gate sigmoid(1)
        int d = 2;
        MetaAdapter m = new MetaAdapter(d, new float[4], new float[4], new float[2], new float[]{1f});
        float[] w = {1, 0};
        float[][] s = {{0, 1}};
        float[] r = m.refine(new float[][]{w}, new float[][][]{s})[0];
        double g = 1 / (1 + Math.exp(-1));
        double ux = 1 + g * 0.5, uy = g * 0.5;
        double n = Math.hypot(ux, uy);
        assertEquals(ux / n, r[0], 1e-6);
        assertEquals(uy / n, r[1], 1e-6);
    }

    private static void checkGrad(java.util.function.Supplier<Double> loss, float[] p, double[] g, String what) {
        Random r = new Random(3);
        for (int probe = 0; probe < 12; probe++) {
            int i = r.nextInt(p.length);
            float old = p[i];
            double h = 1e-3;
            p[i] = (float) (old + h);
            double up = loss.get();
            p[i] = (float) (old - h);
            double down = loss.get();
            p[i] = old;
            double hEff = ((double) (float) (old + h) - (float) (old - h)) / 2;
            double num = (up - down) / (2 * hEff);
            assertEquals(num, g[i], 2e-3 * Math.max(1, Math.abs(num)), what + " gradient at " + i);
        }
    }

    @Test
    void tipAdapterFGradient() {
        Random r = new Random(1);
        int d = 16, n = 4, k = 3;
        float[][] w = randomUnit(n, d, r);
        float[][] keys = randomUnit(n * k, d, r);
        int[] kl = new int[n * k];
        for (int i = 0; i < kl.length; i++) kl[i] = i / k;
        TipAdapter tip = new TipAdapter(w, keys, kl);
        float[][] f = randomUnit(5, d, r);
        int[] y = {0, 1, 2, 3, 1};
        float[][] train = FMath.copy(keys);
        double[] g = new double[n * k * d];
        TipAdapterF.lossAndGrad(tip, train, f, y, 1.5, 2.0, g);
        float[] flat = new float[n * k * d];
        for (int i = 0; i < n * k; i++) System.arraycopy(train[i], 0, flat, i * d, d);
        checkGrad(() -> {
            for (int i = 0; i < n * k; i++) System.arraycopy(flat, i * d, train[i], 0, d);
            return TipAdapterF.lossAndGrad(tip, train, f, y, 1.5, 2.0, new double[n * k * d]);
        }, flat, g, "Tip-Adapter-F keys");
        double[] gb = new double[n * k * d];
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2)) {
            double lb = TipAdapterF.lossAndGrad(be, tip, train, f, y, 1.5, 2.0, gb);
            assertEquals(TipAdapterF.lossAndGrad(tip, train, f, y, 1.5, 2.0, new double[n * k * d]), lb, 1e-4);
        }
        for (int i = 0; i < g.length; i++) assertEquals(g[i], gb[i], 1e-5 + 1e-3 * Math.abs(g[i]), "batched twin at " + i);
    }

    @Test
    void clipAdapterGradient() {
        Random r = new Random(2);
        int d = 16;
        ClipAdapter a = new ClipAdapter(d, 0.4, 7);
        float[][] w = randomUnit(3, d, r);
        float[][] f = randomUnit(4, d, r);
        for (float[] row : f) for (int i = 0; i < d; i++) row[i] *= 3;
        int[] y = {0, 2, 1, 2};
        float[][] p = a.parameters();
        double[][] g = {new double[p[0].length], new double[p[1].length]};
        a.lossAndGrad(f, y, w, g);
        for (int t = 0; t < 2; t++) {
            checkGrad(() -> a.lossAndGrad(f, y, w, new double[][]{new double[p[0].length], new double[p[1].length]}), p[t], g[t], "CLIP-Adapter W" + (t + 1));
        }
    }

    @Test
    void metaAdapterGradient() {
        Random r = new Random(4);
        int d = 12, n = 3, k = 2;
        MetaAdapter m = new MetaAdapter(d, 5);
        float[][] w = randomUnit(n, d, r);
        float[][][] s = new float[n][][];
        for (int c = 0; c < n; c++) s[c] = randomUnit(k, d, r);
        float[][] f = randomUnit(4, d, r);
        int[] y = {0, 1, 2, 0};
        float[][] p = m.parameters();
        double[][] g = new double[p.length][];
        for (int i = 0; i < p.length; i++) g[i] = new double[p[i].length];
        m.lossAndGrad(w, s, f, y, g);
        String[] names = {"q_proj", "k_proj", "alpha_proj.weight", "alpha_proj.bias"};
        for (int t = 0; t < p.length; t++) {
            checkGrad(() -> {
                double[][] z = new double[p.length][];
                for (int i = 0; i < p.length; i++) z[i] = new double[p[i].length];
                return m.lossAndGrad(w, s, f, y, z);
            }, p[t], g[t], "Meta-Adapter " + names[t]);
        }
    }

    @Test
    void searchFindsTheBruteForceOptimum() {
        Random r = new Random(9);
        int d = 24, n = 5, k = 4;
        float[][] w = randomUnit(n, d, r);
        float[][] keys = randomUnit(n * k, d, r);
        int[] kl = new int[n * k];
        for (int i = 0; i < kl.length; i++) kl[i] = i / k;
        TipAdapter tip = new TipAdapter(w, keys, kl);
        float[][] q = randomUnit(60, d, r);
        int[] y = new int[q.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(n);
            for (int t = 0; t < d; t++) q[i][t] += 0.8f * keys[y[i] * k][t];
        }
        q = Embeddings.normalizeRows(q);
        TipSearch.Grid grid = TipSearch.Grid.of(8, 4, 20, 10);
        TipSearch.Result brute = TipSearch.bruteForce(tip, q, y, grid);
        for (var be : new clip4j.backend.Backend[]{new ScalarBackend(), VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2)}) {
            TipSearch.Result fast = TipSearch.search(be, tip, q, y, grid);
            assertEquals(brute.accuracy(), fast.accuracy(), 1e-12);
            assertEquals(brute.beta(), fast.beta(), 1e-12);
            assertEquals(brute.alpha(), fast.alpha(), 1e-12);
        }
        assertTrue(brute.accuracy() > 0.2);
    }

    @Test
    void gridMatchesTheOfficialFormula() {
        TipSearch.Grid g = TipSearch.Grid.of(7, 3, 200, 20);
        assertEquals(0.1, g.betas()[0], 1e-12);
        assertEquals(6.9655, g.betas()[199], 1e-4);
        assertEquals(2.855, g.alphas()[19], 1e-12);
    }

    @Test
    void adamWMatchesPyTorchFirstSteps() {
        // torch.optim.AdamW([p], lr=0.1, eps=1e-8, weight_decay=0.01) on p = 1.0 with grad 0.5 twice (no schedule):
        // step 1: p = 1·(1 − 0.001) − 0.1·1 = 0.899; step 2: 0.899·0.999 − 0.1 = 0.798101
        float[] p = {1f};
        AdamW opt = new AdamW(new float[][]{p}, 0.1, 1e-8, 0.01, Long.MAX_VALUE / 4);
        opt.step(new double[][]{{0.5}});
        assertEquals(0.899, p[0], 1e-6);
        opt.step(new double[][]{{0.5}});
        assertEquals(0.798101, p[0], 1e-6);
    }

    @Test
    void badFeaturesAreOneLineErrors() {
        float[][] w = {{1, 0}, {0, 1}};
        var e = org.junit.jupiter.api.Assertions.assertThrows(clip4j.ClipException.class,
                () -> new TipAdapter(w, new float[][]{{1, 0, 0}}, new int[]{0}));
        assertTrue(e.getMessage().contains("dimension"), e.getMessage());
        var nan = org.junit.jupiter.api.Assertions.assertThrows(clip4j.ClipException.class,
                () -> FMath.requireFinite(new float[][]{{1, Float.NaN}}, "cache keys"));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
    }
}
