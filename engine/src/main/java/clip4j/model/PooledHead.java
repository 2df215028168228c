package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

/**
 * An encoder's last step: one row per sequence picked from the transformer's output (the class token in upstream
 * clip/model.py {@code VisionTransformer.forward}, the EOT token in {@code CLIP.encode_text}), LayerNorm on it
 * (ln_post, ln_final), then the projection to the embedding (proj, text_projection; stored [E, width]).
 */
public record PooledHead(float[] lnWeight, float[] lnBias, Tensor proj, float eps) {
    private static final Workspace.Buffer POOLED = Workspace.buffer("head.pooled");

    public int embedDim() {
        return Math.toIntExact(proj.shape()[0]);
    }

    /** out [n, E] from the rows of x [*, width] at the row indices rows[0, n). */
    void forward(Backend be, Workspace ws, float[] x, int width, int[] rows, int n, float[] out) {
        float[] pooled = ws.floats(POOLED, Math.multiplyExact(n, width));
        for (int b = 0; b < n; b++) System.arraycopy(x, rows[b] * width, pooled, b * width, width);
        be.layerNorm(pooled, n, width, lnWeight, lnBias, eps, pooled);
        be.linear(pooled, n, width, proj, null, out);
    }
}
