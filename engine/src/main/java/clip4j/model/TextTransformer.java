package clip4j.model;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * Upstream clip/model.py {@code CLIP.encode_text}: token embedding plus positional embedding, the causal transformer,
 * ln_final at each prompt's EOT token (the largest id: {@code text.argmax(dim=-1)}), then text_projection.
 * tokenEmbedding is [vocab, width], positionalEmbedding [context, width]. It runs only the first eot+1 positions:
 * under the causal mask later positions never reach the EOT row, so the result is that of the full context.
 */
public record TextTransformer(Tensor tokenEmbedding, float[] positionalEmbedding, Transformer transformer, PooledHead head,
                              int contextLength, int vocabSize) {
    private static final Workspace.Buffer TOKENS = Workspace.buffer("text.tokens"), POOL = Workspace.buffer("text.pool"),
            X = Workspace.buffer("text.x");

    public static TextTransformer load(ModelFile f) {
        ClipConfig c = f.config();
        PooledHead head = new PooledHead(f.vector("ln_final.weight"), f.vector("ln_final.bias"), f.tensor("text_projection.weight"),
                c.layerNormEps());
        return new TextTransformer(f.tensor("token_embedding.weight"), f.vector("positional_embedding"),
                Transformer.load(f, "transformer.", c.textLayers(), c.textWidth(), c.textHeads(), true), head,
                c.contextLength(), c.vocabSize());
    }

    /** The weight matrices of linear layers: the blocks', then text_projection. */
    public List<Tensor> matrices() {
        return java.util.stream.Stream.concat(transformer.matrices().stream(), java.util.stream.Stream.of(head.proj())).toList();
    }

    public int width() {
        return transformer.width();
    }

    /** Pooling position: the first index of the largest id (torch argmax; the EOT token). */
    public static int eotIndex(int[] ids) {
        int best = 0;
        for (int i = 1; i < ids.length; i++) if (ids[i] > ids[best]) best = i;
        return best;
    }

    /** Raw text features [prompts, E] of token-id rows (each at most context_length long) into out. */
    public void forward(Backend be, Workspace ws, int[][] ids, float[] out) {
        int batch = ids.length;
        int seq = 1;
        for (int[] row : ids) {
            if (row.length == 0 || row.length > contextLength) {
                throw new ClipException("a prompt needs 1 to " + contextLength + " token ids, got " + row.length);
            }
            for (int id : row) {
                if (id < 0 || id >= vocabSize) throw new ClipException("token id " + id + " outside the vocabulary of " + vocabSize);
            }
            seq = Math.max(seq, eotIndex(row) + 1);
        }
        // positions [0, seq): shorter prompts padded with 0 (rows after a prompt's EOT cannot reach it under the causal
        // mask); pooled at each prompt's EOT row
        int[] tokens = ws.ints(TOKENS, batch * seq), pool = ws.ints(POOL, batch);
        Arrays.fill(tokens, 0, batch * seq, 0);
        for (int b = 0; b < batch; b++) {
            System.arraycopy(ids[b], 0, tokens, b * seq, Math.min(seq, ids[b].length));
            pool[b] = b * seq + eotIndex(ids[b]);
        }
        if (be instanceof TowerRunner runner && runner.text(this, tokens, batch, seq, pool, out)) return;
        // x = self.token_embedding(text) + self.positional_embedding
        int w = width();
        float[] x = ws.floats(X, Math.multiplyExact(batch * seq, w));
        for (int r = 0; r < batch * seq; r++) {
            long base = (long) tokens[r] * w;
            int xo = r * w, po = r % seq * w;
            for (int i = 0; i < w; i++) x[xo + i] = tokenEmbedding.getFloat(base + i) + positionalEmbedding[po + i];
        }
        // x = self.transformer(x); x = self.ln_final(x); x[eot] @ self.text_projection
        transformer.forward(be, ws, x, batch, seq);
        head.forward(be, ws, x, w, pool, batch, out);
    }
}
