package clip4j.backend;

/** The per-class part of Meta-Adapter's refinement for {@link Backend#metaAdapterRefine}, in double on the host. */
final class MetaRefine {
    private MetaRefine() {
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
            double inv = 1 / Math.sqrt(nn);
            for (int t = 0; t < d; t++) out[wo + t] = (float) (u[t] * inv);
        }
    }
}
