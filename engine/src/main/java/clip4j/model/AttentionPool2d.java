package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

/**
 * Upstream clip/model.py {@code AttentionPool2d}: the last feature map's pixels as tokens (row-major), their mean
 * prepended, the positional embedding added, then multi-head attention of the mean token alone (the query) over all
 * tokens (keys and values), with separate q/k/v projections and c_proj as the output projection, to the embedding.
 */
public record AttentionPool2d(float[] positionalEmbedding, Tensor qProj, float[] qBias, Tensor kProj, float[] kBias,
                              Tensor vProj, float[] vBias, Tensor cProj, float[] cBias, int heads) {
    private static final Workspace.Buffer TOKENS = Workspace.buffer("attnpool.tokens"), QUERY = Workspace.buffer("attnpool.query"),
            Q = Workspace.buffer("attnpool.q"), POOLED = Workspace.buffer("attnpool.pooled");

    static AttentionPool2d load(ModelFile f, int heads) {
        String p = "visual.attnpool.";
        return new AttentionPool2d(f.vector(p + "positional_embedding"), f.tensor(p + "q_proj.weight"), f.vector(p + "q_proj.bias"),
                f.tensor(p + "k_proj.weight"), f.vector(p + "k_proj.bias"), f.tensor(p + "v_proj.weight"), f.vector(p + "v_proj.bias"),
                f.tensor(p + "c_proj.weight"), f.vector(p + "c_proj.bias"), heads);
    }

    public java.util.List<Tensor> matrices() {
        return java.util.List.of(qProj, kProj, vProj, cProj);
    }

    /** x [batch, side, side, C] → out [batch, E]. */
    void forward(Backend be, Workspace ws, float[] x, int batch, int side, float[] out) {
        int c = Math.toIntExact(qProj.shape()[0]), pixels = side * side, n = pixels + 1;
        int rows = Math.multiplyExact(batch, n);
        // x = cat([x.mean(dim=0, keepdim=True), x]) + positional_embedding
        float[] tokens = ws.floats(TOKENS, Math.multiplyExact(rows, c)), query = ws.floats(QUERY, batch * c);
        for (int b = 0; b < batch; b++) {
            int t0 = b * n * c, x0 = b * pixels * c;
            for (int i = 0; i < c; i++) {
                double sum = 0;
                for (int p = 0; p < pixels; p++) sum += x[x0 + p * c + i];
                tokens[t0 + i] = (float) (sum / pixels) + positionalEmbedding[i];
            }
            for (int p = 0; p < pixels; p++) {
                for (int i = 0; i < c; i++) tokens[t0 + (p + 1) * c + i] = x[x0 + p * c + i] + positionalEmbedding[(p + 1) * c + i];
            }
            System.arraycopy(tokens, t0, query, b * c, c);
        }
        // multi_head_attention_forward(query=x[:1], key=x, value=x): q of the mean token here; the keys and values of
        // every token are the attention pool operation's
        float[] q = ws.floats(Q, batch * c), pooled = ws.floats(POOLED, batch * c);
        be.linear(query, batch, c, qProj, qBias, q);
        be.attentionPool(tokens, batch, n, c, heads, q, kProj, kBias, vProj, vBias, pooled);
        be.linear(pooled, batch, c, cProj, cBias, out);
    }
}
