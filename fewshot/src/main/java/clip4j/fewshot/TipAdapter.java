package clip4j.fewshot;

import clip4j.ClipException;

/**
 * Tip-Adapter's cache model (upstream Tip-Adapter main.py {@code run_tip_adapter}; docs/adapters.md#tip-adapter):
 * logits = 100·f·W + α·exp(−β(1 − f·Kᵀ))·L for an L2-normalised
 * image feature f, class weights W (rows), cache keys K (rows, L2-normalised averaged augmented shot features) and
 * one-hot values L given as the key labels.
 */
public final class TipAdapter {
    public static final double CLIP_SCALE = 100.0;

    private final float[][] classWeights;
    private final float[][] keys;
    private final int[] keyLabels;

    public TipAdapter(float[][] classWeights, float[][] keys, int[] keyLabels) {
        if (keys.length != keyLabels.length) throw new IllegalArgumentException("one label per key");
        int d = classWeights[0].length;
        for (float[] k : keys) {
            if (k.length != d) throw new ClipException("cache key dimension " + k.length + " does not match the classifier's " + d);
        }
        for (int l : keyLabels) if (l < 0 || l >= classWeights.length) throw new IllegalArgumentException("key label out of range");
        this.classWeights = classWeights;
        this.keys = keys;
        this.keyLabels = keyLabels;
    }

    public float[][] keys() {
        return keys;
    }

    public int[] keyLabels() {
        return keyLabels;
    }

    public float[][] classWeights() {
        return classWeights;
    }

    public int numClasses() {
        return classWeights.length;
    }

    /** 100·f·W for each class. */
    public double[] zeroShotLogits(float[] f) {
        double[] z = new double[classWeights.length];
        for (int c = 0; c < z.length; c++) z[c] = CLIP_SCALE * FMath.dot(f, classWeights[c]);
        return z;
    }

    /** exp(−β(1 − f·k))·L: the cache term before α. */
    public double[] cacheLogits(float[] f, double beta) {
        double[] z = new double[classWeights.length];
        for (int i = 0; i < keys.length; i++) z[keyLabels[i]] += StrictMath.exp(-beta * (1 - FMath.dot(f, keys[i])));
        return z;
    }

    /**
     * Logits of a batch through the backend: the two matrix products of the cache model (f·Wᵀ and the affinity f·Kᵀ),
     * one exp per affinity, and the one-hot aggregation as a scatter-add by key label.
     */
    public float[][] logitsBatch(clip4j.backend.Backend be, float[][] queries, double alpha, double beta) {
        int q = queries.length, d = classWeights[0].length, n = classWeights.length;
        float[] x = new float[q * d];
        for (int i = 0; i < q; i++) System.arraycopy(queries[i], 0, x, i * d, d);
        float[] flat = new float[q * n];
        HostAdapterKernels.tipAdapterLogits(be, x, q, d, TipSearch.asTensor(classWeights), TipSearch.asTensor(keys, d), keyLabels, CLIP_SCALE, alpha, beta, flat);
        float[][] out = new float[q][];
        for (int i = 0; i < q; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * n, (i + 1) * n);
        return out;
    }

    public double[] logits(float[] f, double alpha, double beta) {
        double[] z = zeroShotLogits(f);
        double[] c = cacheLogits(f, beta);
        for (int k = 0; k < z.length; k++) z[k] += alpha * c[k];
        return z;
    }
}
