package clip4j.backend;

import clip4j.io.Tensor;

import java.util.List;

/**
 * The text encoder of clip-spec §4 as weights and shape, for {@link Backend#textTower}: tokenEmbedding is
 * [vocab, width], positionalEmbedding [context, width].
 */
public record TextTower(Tensor tokenEmbedding, float[] positionalEmbedding, List<BlockWeights> blocks, PooledHead head, int width,
                        int heads, boolean quickGelu, float eps) {
    /** x, the embedded tokens. */
    private static final Scratch SCRATCH = new Scratch(1);

    /** The reference forward pass, operation by operation on be. */
    void forwardOps(Backend be, int[] tokens, int batch, int seq, int[] pool, float[] out) {
        // 1. token embedding + positional embedding
        float[] x = SCRATCH.get(0, batch * seq * width);
        for (int r = 0; r < batch * seq; r++) {
            long base = (long) tokens[r] * width;
            int xo = r * width, po = r % seq * width;
            for (int i = 0; i < width; i++) x[xo + i] = tokenEmbedding.getFloat(base + i) + positionalEmbedding[po + i];
        }
        // 2. transformer with the causal mask; 3-5. ln_final at the pooled rows, projection
        be.residualBlocks(x, batch, seq, width, heads, true, quickGelu, eps, blocks);
        head.apply(be, x, width, pool, eps, out);
    }
}
