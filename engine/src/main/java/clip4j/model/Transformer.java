package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Upstream clip/model.py {@code Transformer}: the residual attention blocks in order, on {@code batch} sequences of
 * {@code seq} tokens at once (rows of x are tokens); causal is the text tower's attention mask.
 */
public record Transformer(int width, int heads, boolean causal, Activation activation, float eps,
                          List<ResidualAttentionBlock> resblocks) {

    /** The blocks prefix + "resblocks.0." ... of a model file. */
    static Transformer load(ModelFile f, String prefix, int layers, int width, int heads, boolean causal) {
        List<ResidualAttentionBlock> b = new ArrayList<>();
        for (int i = 0; i < layers; i++) b.add(ResidualAttentionBlock.load(f, prefix + "resblocks." + i + "."));
        ClipConfig c = f.config();
        return new Transformer(width, heads, causal, c.activation(), c.layerNormEps(), List.copyOf(b));
    }

    /** The weight matrices of every block, in order (for {@link Backend#prepare}). */
    public List<Tensor> matrices() {
        return resblocks.stream().flatMap(b -> b.matrices().stream()).toList();
    }

    /** x [batch·seq, width] through every block, in place. */
    public void forward(Backend be, Workspace ws, float[] x, int batch, int seq) {
        for (ResidualAttentionBlock block : resblocks) block.forward(be, ws, this, x, batch, seq);
    }
}
