package clip4j.model;

import java.util.List;

/**
 * An optional capability of a device backend: it runs a whole encoder on its own (the activations stay on the device
 * between operations). The model asks for it ({@code be instanceof TowerRunner}) before it runs a tower operation by
 * operation, and falls back to the operations when the runner declines; the results must be those of the operations,
 * within the backend's precision.
 */
public interface TowerRunner {
    /**
     * {@link VisionTransformer#forward}'s result: raw features [images.size(), E] into out.
     *
     * @return whether it ran (false: this tower is not for this runner; the model runs the operations)
     */
    boolean vision(VisionTransformer t, List<float[]> images, float[] out);

    /**
     * {@link TextTransformer#forward}'s result for token ids tokens[0, batch·seq) (row-major, each prompt padded to
     * seq): raw features [batch, E] into out, pooled at rows pool[0, batch) of the batch·seq rows.
     *
     * @return whether it ran
     */
    boolean text(TextTransformer t, int[] tokens, int batch, int seq, int[] pool, float[] out);
}
