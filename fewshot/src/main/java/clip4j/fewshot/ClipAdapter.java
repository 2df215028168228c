package clip4j.fewshot;

import clip4j.ClipException;
import clip4j.model.Embeddings;

import java.util.Random;

/**
 * CLIP-Adapter, visual adapter (upstream CLIP-Adapter clip_adapter.py {@code Adapter}, {@code CustomCLIP.forward};
 * docs/adapters.md#clip-adapter): A(f) = ReLU(W₂·ReLU(W₁·f)), W₁ [D/4, D], W₂ [D, D/4], no biases;
 * f′ = r·A(f) + (1 − r)·f on the raw image feature; logits = 100·normalise(f′)·W. Weights start as PyTorch's
 * Linear default, U(±1/√fan_in), from a seed. The matrix-vector products run over transposed copies of W₁ and W₂, so
 * the inner loops are element-wise (vectorisable) while every dot product still sums its terms in index order. Not
 * thread-safe: each call refreshes those copies from the weights the optimiser has changed.
 */
public final class ClipAdapter {
    private final float[] w1;
    private final float[] w2;
    /** W₁ᵀ [D, D/4] and W₂ᵀ [D/4, D], refreshed from the weights (which the optimiser changes) by {@link #sync()}. */
    private final float[] w1t;
    private final float[] w2t;
    private final int d;
    private final int h;
    private final double ratio;

    public ClipAdapter(int d, double ratio, long seed) {
        this.d = d;
        this.h = Math.max(1, d / 4);
        this.ratio = ratio;
        Random r = new Random(seed);
        w1 = uniform(h * d, 1 / Math.sqrt(d), r);
        w2 = uniform(d * h, 1 / Math.sqrt(h), r);
        w1t = new float[d * h];
        w2t = new float[h * d];
    }

    /** A trained adapter from its weights: W₁ [D/4, D] and W₂ [D, D/4], row-major, and its residual ratio. */
    public static ClipAdapter of(int d, double ratio, float[] w1, float[] w2) {
        ClipAdapter a = new ClipAdapter(d, ratio, 0);
        if (w1.length != a.w1.length || w2.length != a.w2.length) {
            throw new ClipException("CLIP-Adapter weights of " + w1.length + " and " + w2.length + " values for dimension " + d);
        }
        System.arraycopy(w1, 0, a.w1, 0, w1.length);
        System.arraycopy(w2, 0, a.w2, 0, w2.length);
        return a;
    }

    public int dim() {
        return d;
    }

    public int hidden() {
        return h;
    }

    public double ratio() {
        return ratio;
    }

    private void sync() {
        for (int j = 0; j < h; j++) for (int t = 0; t < d; t++) w1t[t * h + j] = w1[j * d + t];
        for (int i = 0; i < d; i++) for (int j = 0; j < h; j++) w2t[j * d + i] = w2[i * h + j];
    }

    private static float[] uniform(int n, double bound, Random r) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        return w;
    }

    public float[][] parameters() {
        return new float[][]{w1, w2};
    }

    /** u1 = W₁·f, u2 = W₂·ReLU(u1) (each sum in index order), and f′; needs {@link #sync()} after a weight change. */
    private float[] blend(float[] f, double[] u1, double[] u2) {
        java.util.Arrays.fill(u1, 0);
        for (int t = 0; t < d; t++) {
            double ft = f[t];
            int base = t * h;
            for (int j = 0; j < h; j++) u1[j] += (double) w1t[base + j] * ft;
        }
        java.util.Arrays.fill(u2, 0);
        for (int j = 0; j < h; j++) {
            double hj = Math.max(0, u1[j]);
            int base = j * d;
            for (int i = 0; i < d; i++) u2[i] += (double) w2t[base + i] * hj;
        }
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) (ratio * Math.max(0, u2[i]) + (1 - ratio) * f[i]);
        return out;
    }

    public double[] logits(float[] f, float[][] classWeights) {
        return logits(new float[][]{f}, classWeights)[0];
    }

    /** Logits of many features (the weights are read once for all of them). */
    public double[][] logits(float[][] fs, float[][] classWeights) {
        sync();
        double[] u1 = new double[h], u2 = new double[d];
        double[][] out = new double[fs.length][];
        for (int b = 0; b < fs.length; b++) {
            float[] g = Embeddings.normalize(blend(fs[b], u1, u2));
            double[] z = new double[classWeights.length];
            for (int c = 0; c < z.length; c++) z[c] = TipAdapter.CLIP_SCALE * FMath.dot(g, classWeights[c]);
            out[b] = z;
        }
        return out;
    }

    /** Mean cross-entropy of a batch and its gradients (same shapes as {@link #parameters()}), added into grads. */
    public double lossAndGrad(float[][] f, int[] y, float[][] classWeights, double[][] grads) {
        sync();
        int n = classWeights.length;
        double loss = 0;
        double[] u1 = new double[h], u2 = new double[d], dz = new double[n], z = new double[n];
        for (int b = 0; b < f.length; b++) {
            float[] fp = blend(f[b], u1, u2);
            double norm = Math.sqrt(FMath.dot(fp, fp));
            double[] g = new double[d];
            for (int i = 0; i < d; i++) g[i] = fp[i] / norm;
            for (int c = 0; c < n; c++) {
                double s = 0;
                for (int i = 0; i < d; i++) s += g[i] * classWeights[c][i];
                z[c] = TipAdapter.CLIP_SCALE * s;
            }
            loss += FMath.crossEntropyGrad(z, y[b], dz);
            double[] dg = new double[d];
            for (int c = 0; c < n; c++) {
                double k = TipAdapter.CLIP_SCALE * dz[c] / f.length;
                for (int i = 0; i < d; i++) dg[i] += k * classWeights[c][i];
            }
            double gdg = 0;
            for (int i = 0; i < d; i++) gdg += g[i] * dg[i];
            double[] du2 = new double[d];
            for (int i = 0; i < d; i++) du2[i] = u2[i] > 0 ? ratio * (dg[i] - g[i] * gdg) / norm : 0;
            double[] h1 = new double[h];
            for (int j = 0; j < h; j++) h1[j] = Math.max(0, u1[j]);
            double[] dh1 = new double[h];
            double[] g1 = grads[1];
            for (int i = 0; i < d; i++) {
                double k = du2[i];
                if (k == 0) continue;
                int base = i * h;
                for (int j = 0; j < h; j++) g1[base + j] += k * h1[j];
                for (int j = 0; j < h; j++) dh1[j] += k * w2[base + j];
            }
            double[] g0 = grads[0];
            float[] fb = f[b];
            for (int j = 0; j < h; j++) {
                double k = dh1[j];
                if (u1[j] <= 0 || k == 0) continue;
                int base = j * d;
                for (int t = 0; t < d; t++) g0[base + t] += k * fb[t];
            }
        }
        return loss / f.length;
    }
}
