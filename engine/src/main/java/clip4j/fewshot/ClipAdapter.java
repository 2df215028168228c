package clip4j.fewshot;

import java.util.Random;

/**
 * CLIP-Adapter, visual adapter (adapters-spec §4): A(f) = ReLU(W₂·ReLU(W₁·f)), W₁ [D/4, D], W₂ [D, D/4], no biases;
 * f′ = r·A(f) + (1 − r)·f on the raw image feature; logits = 100·normalise(f′)·W. Weights start as PyTorch's
 * Linear default, U(±1/√fan_in), from a seed.
 */
public final class ClipAdapter {
    private final float[] w1;
    private final float[] w2;
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
    }

    private static float[] uniform(int n, double bound, Random r) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        return w;
    }

    public float[][] parameters() {
        return new float[][]{w1, w2};
    }

    /** The L2-normalised adapted feature. */
    public float[] adapt(float[] f) {
        return FMath.normalize(blend(f, new double[h], new double[d]));
    }

    private float[] blend(float[] f, double[] u1, double[] u2) {
        double[] h1 = new double[h];
        for (int j = 0; j < h; j++) {
            double s = 0;
            for (int t = 0; t < d; t++) s += (double) w1[j * d + t] * f[t];
            u1[j] = s;
            h1[j] = Math.max(0, s);
        }
        float[] out = new float[d];
        for (int i = 0; i < d; i++) {
            double s = 0;
            for (int j = 0; j < h; j++) s += (double) w2[i * h + j] * h1[j];
            u2[i] = s;
            out[i] = (float) (ratio * Math.max(0, s) + (1 - ratio) * f[i]);
        }
        return out;
    }

    public double[] logits(float[] f, float[][] classWeights) {
        float[] g = adapt(f);
        double[] z = new double[classWeights.length];
        for (int c = 0; c < z.length; c++) z[c] = TipAdapter.CLIP_SCALE * FMath.dot(g, classWeights[c]);
        return z;
    }

    /** Mean cross-entropy of a batch and its gradients (same shapes as {@link #parameters()}), added into grads. */
    public double lossAndGrad(float[][] f, int[] y, float[][] classWeights, double[][] grads) {
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
            double[] dh1 = new double[h];
            for (int i = 0; i < d; i++) {
                if (du2[i] == 0) continue;
                for (int j = 0; j < h; j++) {
                    grads[1][i * h + j] += du2[i] * Math.max(0, u1[j]);
                    dh1[j] += du2[i] * w2[i * h + j];
                }
            }
            for (int j = 0; j < h; j++) {
                if (u1[j] <= 0 || dh1[j] == 0) continue;
                for (int t = 0; t < d; t++) grads[0][j * d + t] += dh1[j] * f[b][t];
            }
        }
        return loss / f.length;
    }
}
