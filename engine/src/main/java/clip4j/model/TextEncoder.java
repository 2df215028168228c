package clip4j.model;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.backend.BlockWeights;
import clip4j.backend.PooledHead;
import clip4j.backend.Scratch;
import clip4j.backend.TextTower;
import clip4j.io.ModelFile;
import clip4j.io.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The text encoder of clip-spec §4. It runs only the first eot+1 positions (the "equivalence shortcut" of §4:
 * under the causal mask later positions never reach the EOT row), batching prompts padded to the longest.
 */
public final class TextEncoder {
    private final ClipConfig c;
    private final Tensor tokenEmbedding;
    private final float[] positionalEmbedding;
    private final TextTower tower;
    /** x, row, out. */
    private final Scratch scratch = new Scratch(3);

    public TextEncoder(ModelFile f) {
        c = f.config();
        tokenEmbedding = f.tensor("token_embedding.weight");
        positionalEmbedding = BlockWeights.vec(f, "positional_embedding");
        List<BlockWeights> b = new ArrayList<>();
        for (int i = 0; i < c.textLayers(); i++) b.add(BlockWeights.load(f, "transformer.resblocks." + i + "."));
        PooledHead head = new PooledHead(BlockWeights.vec(f, "ln_final.weight"), BlockWeights.vec(f, "ln_final.bias"),
                f.tensor("text_projection.weight"));
        tower = new TextTower(List.copyOf(b), head, c.textWidth(), c.textHeads(), c.activation() == Activation.QUICK_GELU, c.layerNormEps());
    }

    /** Pooling position: the first index of the largest id (torch argmax; the EOT, clip-spec §4 step 4). */
    public static int eotIndex(int[] ids) {
        int best = 0;
        for (int i = 1; i < ids.length; i++) if (ids[i] > ids[best]) best = i;
        return best;
    }

    /** Raw text features [prompts, E] for token-id rows (each at most context_length long), in a reused buffer. */
    public float[] forward(Backend be, int[][] ids) {
        int batch = ids.length;
        int d = c.textWidth();
        int seq = 1;
        for (int b = 0; b < batch; b++) {
            if (ids[b].length == 0 || ids[b].length > c.contextLength()) {
                throw new ClipException("a prompt needs 1 to " + c.contextLength() + " token ids, got " + ids[b].length);
            }
            for (int id : ids[b]) {
                if (id < 0 || id >= c.vocabSize()) throw new ClipException("token id " + id + " outside the vocabulary of " + c.vocabSize());
            }
            seq = Math.max(seq, eotIndex(ids[b]) + 1);
        }
        // 1. token embedding + positional embedding, positions [0, seq); shorter prompts padded with their own ids
        //    or 0 (rows after a prompt's EOT cannot reach it under the causal mask)
        float[] x = scratch.get(0, batch * seq * d);
        float[] row = scratch.get(1, d);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int id = t < ids[b].length ? ids[b][t] : 0;
                tokenRow(id, row, d);
                int xo = (b * seq + t) * d;
                for (int i = 0; i < d; i++) x[xo + i] = row[i] + positionalEmbedding[t * d + i];
            }
        }
        // 2. transformer with the causal mask; 3-4. ln_final at each EOT row; 5. projection
        int[] pool = new int[batch];
        for (int b = 0; b < batch; b++) pool[b] = b * seq + eotIndex(ids[b]);
        float[] out = scratch.get(2, batch * c.embedDim());
        be.textTower(tower, x, batch, seq, pool, out);
        return out;
    }

    private void tokenRow(int id, float[] dst, int d) {
        long base = (long) id * d;
        for (int i = 0; i < d; i++) dst[i] = tokenEmbedding.getFloat(base + i);
    }
}
