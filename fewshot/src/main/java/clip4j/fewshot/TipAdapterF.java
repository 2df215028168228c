package clip4j.fewshot;

import clip4j.backend.Backend;

import java.util.List;
import java.util.Random;

/**
 * Tip-Adapter-F (upstream Tip-Adapter main.py {@code run_tip_adapter_F}; docs/adapters.md#tip-adapter-f): the cache
 * keys become trainable (a copy; the cache itself is never touched), trained with cross-entropy on logits at the
 * initial α and β, AdamW (lr 1e-3, eps 1e-4, weight decay 0.01), a per-iteration cosine schedule, batch 256. The
 * epoch is chosen on validation accuracy, not on test as upstream does (docs/adapters.md#pitfalls).
 */
public final class TipAdapterF {
    public record Settings(double alpha, double beta, double lr, double eps, double weightDecay, int batch, int epochs, long seed) {
        public static Settings defaults(long seed) {
            return new Settings(1.0, 1.0, 1e-3, 1e-4, 0.01, 256, 20, seed);
        }
    }

    /** The trained keys of the best epoch (first maximum of validation accuracy) and that epoch (1-based). */
    public record Trained(float[][] keys, int bestEpoch, double bestValAccuracy) {
    }

    private TipAdapterF() {
    }

    /** Loss and key gradient of one batch (the hand-written backward pass; checked by finite differences in tests). */
    public static double lossAndGrad(TipAdapter tip, float[][] keys, float[][] f, int[] y, double alpha, double beta, double[] grad) {
        int nk = keys.length, d = keys[0].length, n = tip.numClasses();
        int[] kl = tip.keyLabels();
        double loss = 0;
        double[] e = new double[nk];
        double[] z = new double[n], dz = new double[n];
        for (int b = 0; b < f.length; b++) {
            double[] zs = tip.zeroShotLogits(f[b]);
            System.arraycopy(zs, 0, z, 0, n);
            for (int i = 0; i < nk; i++) {
                e[i] = StrictMath.exp(-beta * (1 - FMath.dot(f[b], keys[i])));
                z[kl[i]] += alpha * e[i];
            }
            loss += FMath.crossEntropyGrad(z, y[b], dz);
            for (int i = 0; i < nk; i++) {
                double da = alpha * dz[kl[i]] * beta * e[i] / f.length;
                if (da == 0) continue;
                int o = i * d;
                for (int t = 0; t < d; t++) grad[o + t] += da * f[b][t];
            }
        }
        return loss / f.length;
    }

    /**
     * The same loss and gradient with both big products on the backend: the affinity F·Kᵀ [B, NK] forward and
     * dK = dAᵀ·F [NK, D] backward. {@link #lossAndGrad} is its reference twin.
     */
    public static double lossAndGrad(Backend be, TipAdapter tip, float[][] keys, float[][] f, int[] y, double alpha, double beta,
                                     double[] grad) {
        int nk = keys.length, d = keys[0].length, n = tip.numClasses(), b = f.length;
        int[] kl = tip.keyLabels();
        float[] x = new float[b * d];
        for (int i = 0; i < b; i++) System.arraycopy(f[i], 0, x, i * d, d);
        float[] aff = new float[b * nk];
        be.linear(x, b, d, TipSearch.asTensor(keys), null, aff);
        float[] zsFlat = new float[b * n];
        be.linear(x, b, d, TipSearch.asTensor(tip.classWeights()), null, zsFlat);
        double loss = 0;
        double[] z = new double[n], dz = new double[n];
        float[] daT = new float[nk * b];
        for (int r = 0; r < b; r++) {
            for (int c = 0; c < n; c++) z[c] = TipAdapter.CLIP_SCALE * zsFlat[r * n + c];
            int o = r * nk;
            for (int i = 0; i < nk; i++) {
                double e = StrictMath.exp(-beta * (1 - aff[o + i]));
                aff[o + i] = (float) e;
                z[kl[i]] += alpha * e;
            }
            loss += FMath.crossEntropyGrad(z, y[r], dz);
            for (int i = 0; i < nk; i++) daT[i * b + r] = (float) (alpha * dz[kl[i]] * beta * aff[o + i] / b);
        }
        float[][] fT = new float[d][b];
        for (int r = 0; r < b; r++) for (int t = 0; t < d; t++) fT[t][r] = f[r][t];
        float[] dk = new float[nk * d];
        be.linear(daT, nk, b, TipSearch.asTensor(fT), null, dk);
        for (int i = 0; i < dk.length; i++) grad[i] += dk[i];
        return loss / b;
    }

    /**
     * @param epochViews training features per epoch (augmented views of the shots, L2-normalised, in key order); epoch e
     *                   uses {@code epochViews.get(e % size)}
     */
    public static Trained train(Backend be, TipAdapter tip, List<float[][]> epochViews, int[] labels, float[][] val, int[] valLabels, Settings s) {
        float[][] keys = FMath.copy(tip.keys());
        int nk = keys.length, d = keys[0].length;
        int n = epochViews.getFirst().length;
        int itersPerEpoch = MiniBatches.iterations(n, s.batch());
        float[] flat = new float[nk * d];
        for (int i = 0; i < nk; i++) System.arraycopy(keys[i], 0, flat, i * d, d);
        AdamW opt = new AdamW(new float[][]{flat}, s.lr(), s.eps(), s.weightDecay(), (long) itersPerEpoch * s.epochs());
        Random rnd = new Random(s.seed());
        double bestAcc = -1;
        float[][] best = null;
        int bestEpoch = 0;
        int[] order = MiniBatches.identity(n);
        for (int ep = 1; ep <= s.epochs(); ep++) {
            MiniBatches.epoch(epochViews.get((ep - 1) % epochViews.size()), labels, order, s.batch(), rnd, (fb, yb) -> {
                double[] g = new double[nk * d];
                lossAndGrad(be, tip, keys, fb, yb, s.alpha(), s.beta(), g);
                opt.step(new double[][]{g});
                for (int i = 0; i < nk; i++) System.arraycopy(flat, i * d, keys[i], 0, d);
            });
            double acc = accuracy(tip, keys, val, valLabels, s.alpha(), s.beta());
            if (acc > bestAcc) {
                bestAcc = acc;
                best = FMath.copy(keys);
                bestEpoch = ep;
            }
        }
        return new Trained(best, bestEpoch, bestAcc);
    }

    static double accuracy(TipAdapter tip, float[][] keys, float[][] x, int[] y, double alpha, double beta) {
        if (x.length == 0) return 0;
        TipAdapter t = new TipAdapter(tip.classWeights(), keys, tip.keyLabels());
        int hit = 0;
        for (int i = 0; i < x.length; i++) if (FMath.argmax(t.logits(x[i], alpha, beta)) == y[i]) hit++;
        return (double) hit / x.length;
    }
}
