package clip4j.backend;

import clip4j.io.Tensor;

/**
 * An encoder's head (clip-spec §3 steps 6-7, §4 steps 3-5): one row per sequence picked from the transformer's output
 * (the class token, or the prompt's EOT), LayerNorm on it, then the projection to the embedding. proj is [E, width].
 */
public record PooledHead(float[] lnWeight, float[] lnBias, Tensor proj) {
    private static final Scratch SCRATCH = new Scratch(1);

    public int embedDim() {
        return Math.toIntExact(proj.shape()[0]);
    }

    /** out [rows.length, E] from the rows of x [*, width] at the given row indices, operation by operation on be. */
    void apply(Backend be, float[] x, int width, int[] rows, float eps, float[] out) {
        int n = rows.length;
        float[] pooled = SCRATCH.get(0, n * width);
        for (int b = 0; b < n; b++) System.arraycopy(x, rows[b] * width, pooled, b * width, width);
        be.layerNorm(pooled, n, width, lnWeight, lnBias, eps, pooled);
        be.linear(pooled, n, width, proj, null, out);
    }
}
