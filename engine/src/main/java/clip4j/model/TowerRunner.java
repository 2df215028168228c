package clip4j.model;

import java.util.List;

/**
 * An optional capability of a device backend: it runs a whole encoder, or a whole transformer, on its own (the
 * activations stay on the device between operations). The model asks for it ({@code be instanceof TowerRunner})
 * before it runs a tower operation by operation; the results must be those of the operations, within the backend's
 * precision.
 */
public interface TowerRunner {
    /** {@link VisionTransformer#forward}'s result: raw features [images.size(), E] into out. */
    void vision(VisionTransformer t, List<float[]> images, float[] out);

    /**
     * {@link TextTransformer#forward}'s result for token ids [batch, seq] (row-major, each prompt padded to seq):
     * raw features [batch, E] into out, pooled at rows pool[b] of the batch·seq rows.
     */
    void text(TextTransformer t, int[] tokens, int batch, int seq, int[] pool, float[] out);

    /** {@link Transformer#forward}: x [batch·seq, width] through every block, in place. */
    void transformer(Transformer t, float[] x, int batch, int seq);
}
