package clip4j.model;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.backend.BlockWeights;
import clip4j.backend.PooledHead;
import clip4j.backend.Scratch;
import clip4j.backend.TextTower;
import clip4j.io.ModelFile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The text encoder of clip-spec §4. It runs only the first eot+1 positions (the "equivalence shortcut" of §4:
 * under the causal mask later positions never reach the EOT row), batching prompts padded to the longest.
 */
public final class TextEncoder {
    private final ClipConfig c;
    private final TextTower tower;
    private final Scratch scratch = new Scratch(1);
    /** This thread's token and pool arrays, reused while their sizes repeat (a steady stream allocates nothing). */
    private final ThreadLocal<int[][]> ints = ThreadLocal.withInitial(() -> new int[2][0]);

    public TextEncoder(ModelFile f) {
        c = f.config();
        List<BlockWeights> b = new ArrayList<>();
        for (int i = 0; i < c.textLayers(); i++) b.add(BlockWeights.load(f, "transformer.resblocks." + i + "."));
        PooledHead head = new PooledHead(BlockWeights.vec(f, "ln_final.weight"), BlockWeights.vec(f, "ln_final.bias"),
                f.tensor("text_projection.weight"));
        tower = new TextTower(f.tensor("token_embedding.weight"), BlockWeights.vec(f, "positional_embedding"), List.copyOf(b), head,
                c.textWidth(), c.textHeads(), c.activation() == Activation.QUICK_GELU, c.layerNormEps());
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
        // positions [0, seq): shorter prompts padded with 0 (rows after a prompt's EOT cannot reach it under the causal
        // mask); pooled at each prompt's EOT row
        int[] tokens = exact(0, batch * seq), pool = exact(1, batch);
        Arrays.fill(tokens, 0);
        for (int b = 0; b < batch; b++) {
            System.arraycopy(ids[b], 0, tokens, b * seq, Math.min(seq, ids[b].length));
            pool[b] = b * seq + eotIndex(ids[b]);
        }
        float[] out = scratch.get(0, batch * c.embedDim());
        be.textTower(tower, tokens, batch, seq, pool, out);
        return out;
    }

    private int[] exact(int slot, int n) {
        int[][] s = ints.get();
        if (s[slot].length != n) s[slot] = new int[n];
        return s[slot];
    }
}
