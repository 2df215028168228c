package clip4j.backend;

import java.util.List;

/** The text transformer and head of clip-spec §4 (steps 2-5, after the embedding), for {@link Backend#textTower}. */
public record TextTower(List<BlockWeights> blocks, PooledHead head, int width, int heads, boolean quickGelu, float eps) {
    /** The reference forward pass, operation by operation on be. */
    void forwardOps(Backend be, float[] x, int batch, int seq, int[] pool, float[] out) {
        be.residualBlocks(x, batch, seq, width, heads, true, quickGelu, eps, blocks);
        head.apply(be, x, width, pool, eps, out);
    }
}
