package clip4j.fewshot;

import clip4j.backend.AdapterKernels;
import clip4j.backend.Backend;
import clip4j.io.Tensor;

import java.util.Arrays;

/**
 * Tip-Adapter's cache logits and Meta-Adapter's refinement on any backend ({@link AdapterKernels} has the contracts):
 * the backend's own kernels when it offers them, otherwise the matrix products on the backend and the exponentials,
 * per-class sums and Meta-Adapter's per-class attention in double on the host.
 */
public final class HostAdapterKernels {
    private HostAdapterKernels() {
    }

    /** {@link AdapterKernels#tipAdapterLogits} on be. */
    public static void tipAdapterLogits(Backend be, float[] x, int q, int d, Tensor classWeights, Tensor keys, int[] labels,
                                        double scale, double alpha, double beta, float[] out) {
        if (be instanceof AdapterKernels k && k.tipAdapterLogits(x, q, d, classWeights, keys, labels, scale, alpha, beta, out)) return;
        int n = Math.toIntExact(classWeights.shape()[0]), nk = Math.toIntExact(keys.shape()[0]);
        float[] zs = new float[q * n];
        be.linear(x, q, d, classWeights, null, zs);
        float[] aff = new float[q * nk];
        if (nk > 0) be.linear(x, q, d, keys, null, aff);
        double[] c = new double[n];
        for (int i = 0; i < q; i++) {
            Arrays.fill(c, 0);
            int o = i * nk;
            for (int k = 0; k < nk; k++) c[labels[k]] += StrictMath.exp(-beta * (1 - aff[o + k]));
            for (int k = 0; k < n; k++) out[i * n + k] = (float) (scale * zs[i * n + k] + alpha * c[k]);
        }
    }

    /** {@link AdapterKernels#metaAdapterRefine} on be. */
    public static void metaAdapterRefine(Backend be, float[] w, int classes, int d, float[] support, int[] offsets, Tensor qProj,
                                         Tensor kProjT, float[] alphaWeight, float alphaBias, float[] out) {
        if (be instanceof AdapterKernels k && k.metaAdapterRefine(w, classes, d, support, offsets, qProj, kProjT, alphaWeight, alphaBias, out)) {
            return;
        }
        float[] q = new float[classes * d], qk = new float[classes * d];
        be.linear(w, classes, d, qProj, null, q);
        be.linear(q, classes, d, kProjT, null, qk);
        attend(w, classes, d, support, offsets, qk, alphaWeight, alphaBias, out);
    }

    /** out row c = normalise(w_c + g_c·Σ_j a_j·KV_j), with a = softmax(qk_c·KV_j/√d) over KV = [w_c; supports of c]. */
    static void attend(float[] w, int classes, int d, float[] support, int[] offsets, float[] qk, float[] alphaWeight,
                       float alphaBias, float[] out) {
        double scale = 1 / Math.sqrt(d);
        for (int c = 0; c < classes; c++) {
            int wo = c * d, slots = offsets[c + 1] - offsets[c] + 1;
            double[] a = new double[slots];
            double max = Double.NEGATIVE_INFINITY, sum = 0, pre = alphaBias, nn = 0;
            for (int j = 0; j < slots; j++) {
                float[] kv = j == 0 ? w : support;
                int ko = j == 0 ? wo : (offsets[c] + j - 1) * d;
                double s = 0;
                for (int t = 0; t < d; t++) s += (double) qk[wo + t] * kv[ko + t];
                a[j] = s * scale;
                max = Math.max(max, a[j]);
            }
            for (int j = 0; j < slots; j++) sum += a[j] = StrictMath.exp(a[j] - max);
            for (int t = 0; t < d; t++) pre += (double) alphaWeight[t] * w[wo + t];
            double g = 1 / (1 + StrictMath.exp(-pre));
            double[] u = new double[d];
            for (int j = 0; j < slots; j++) {
                float[] kv = j == 0 ? w : support;
                int ko = j == 0 ? wo : (offsets[c] + j - 1) * d;
                double f = g * a[j] / sum;
                for (int t = 0; t < d; t++) u[t] += f * kv[ko + t];
            }
            for (int t = 0; t < d; t++) nn += (u[t] += w[wo + t]) * u[t];
            double norm = Math.sqrt(nn); // divided as Embeddings.normalize and MetaAdapter's training forward do
            for (int t = 0; t < d; t++) out[wo + t] = (float) (u[t] / norm);
        }
    }
}
