package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.BlockWeights;
import clip4j.io.ModelFile;
import clip4j.io.Tensor;

import java.util.ArrayList;
import java.util.List;

/** The ViT image encoder of clip-spec §3, for a batch of preprocessed [3, R, R] images. */
public final class VisionEncoder {
    private final ClipConfig c;
    private final Tensor patchWeight;
    private final float[] classEmbedding;
    private final float[] positionalEmbedding;
    private final float[] lnPreWeight, lnPreBias, lnPostWeight, lnPostBias;
    private final List<BlockWeights> blocks;
    private final Tensor proj;
    /** patches, emb, x, cls, out. */
    private final Scratch scratch = new Scratch(5);

    public VisionEncoder(ModelFile f) {
        c = f.config();
        Tensor conv1 = f.tensor("visual.conv1.weight");
        int k = 3 * c.patchSize() * c.patchSize();
        // conv1 [W, 3, P, P] is row-major, so it is already the [W, 3·P·P] matrix of the patch GEMM (§3 step 1).
        patchWeight = new Tensor(conv1.name(), conv1.dtype(), new long[]{c.visionWidth(), k}, conv1.data());
        classEmbedding = BlockWeights.vec(f, "visual.class_embedding");
        positionalEmbedding = BlockWeights.vec(f, "visual.positional_embedding");
        lnPreWeight = BlockWeights.vec(f, "visual.ln_pre.weight");
        lnPreBias = BlockWeights.vec(f, "visual.ln_pre.bias");
        lnPostWeight = BlockWeights.vec(f, "visual.ln_post.weight");
        lnPostBias = BlockWeights.vec(f, "visual.ln_post.bias");
        List<BlockWeights> b = new ArrayList<>();
        for (int i = 0; i < c.visionLayers(); i++) b.add(BlockWeights.load(f, "visual.transformer.resblocks." + i + "."));
        blocks = List.copyOf(b);
        proj = f.tensor("visual.proj.weight");
    }

    /** Raw (unnormalised) image features [batch, E] for pixels [batch, 3, R, R], in a buffer reused by this thread's next call. */
    public float[] forward(Backend be, float[] pixels, int batch) {
        int r = c.imageSize(), p = c.patchSize(), g = c.grid(), w = c.visionWidth();
        int n = c.visionTokens();
        int k = 3 * p * p;
        if (pixels.length < batch * 3 * r * r) throw new IllegalArgumentException("expected " + batch + " images of 3x" + r + "x" + r);
        // 1. patch embedding as a GEMM: patches [batch·G², 3P²] ordered ch, ky, kx
        float[] patches = scratch.get(0, batch * g * g * k);
        for (int b = 0; b < batch; b++) {
            for (int gy = 0; gy < g; gy++) {
                for (int gx = 0; gx < g; gx++) {
                    int po = ((b * g + gy) * g + gx) * k;
                    for (int ch = 0; ch < 3; ch++) {
                        for (int ky = 0; ky < p; ky++) {
                            int src = ((b * 3 + ch) * r + gy * p + ky) * r + gx * p;
                            System.arraycopy(pixels, src, patches, po + (ch * p + ky) * p, p);
                        }
                    }
                }
            }
        }
        float[] emb = scratch.get(1, batch * g * g * w);
        be.linear(patches, batch * g * g, k, patchWeight, null, emb);
        // 2-3. class token first, then add the positional embedding
        float[] x = scratch.get(2, batch * n * w);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < n; t++) {
                int xo = (b * n + t) * w;
                for (int i = 0; i < w; i++) {
                    float tok = t == 0 ? classEmbedding[i] : emb[(b * g * g + t - 1) * w + i];
                    x[xo + i] = tok + positionalEmbedding[t * w + i];
                }
            }
        }
        // 4. ln_pre; 5. transformer, no mask
        be.layerNorm(x, batch * n, w, lnPreWeight, lnPreBias, c.layerNormEps(), x);
        be.residualBlocks(x, batch, n, w, c.visionHeads(), false, c.activation() == Activation.QUICK_GELU, c.layerNormEps(), blocks);
        // 6. ln_post on the CLS token; 7. projection
        float[] cls = scratch.get(3, batch * w);
        for (int b = 0; b < batch; b++) System.arraycopy(x, b * n * w, cls, b * w, w);
        be.layerNorm(cls, batch, w, lnPostWeight, lnPostBias, c.layerNormEps(), cls);
        float[] out = scratch.get(4, batch * c.embedDim());
        be.linear(cls, batch, w, proj, null, out);
        return out;
    }
}
