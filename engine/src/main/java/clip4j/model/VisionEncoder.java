package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.BlockWeights;
import clip4j.backend.PooledHead;
import clip4j.backend.Scratch;
import clip4j.backend.VisionTower;
import clip4j.io.ModelFile;
import clip4j.io.Tensor;

import java.util.ArrayList;
import java.util.List;

/** The ViT image encoder of clip-spec §3, for a batch of preprocessed [3, R, R] images. */
public final class VisionEncoder {
    private final ClipConfig c;
    private final VisionTower tower;
    private final Scratch scratch = new Scratch(1);

    public VisionEncoder(ModelFile f) {
        c = f.config();
        Tensor conv1 = f.tensor("visual.conv1.weight");
        int k = 3 * c.patchSize() * c.patchSize();
        // conv1 [W, 3, P, P] is row-major, so it is already the [W, 3·P·P] matrix of the patch GEMM (§3 step 1).
        Tensor patchWeight = new Tensor(conv1.name(), conv1.dtype(), new long[]{c.visionWidth(), k}, conv1.data());
        List<BlockWeights> b = new ArrayList<>();
        for (int i = 0; i < c.visionLayers(); i++) b.add(BlockWeights.load(f, "visual.transformer.resblocks." + i + "."));
        PooledHead head = new PooledHead(BlockWeights.vec(f, "visual.ln_post.weight"), BlockWeights.vec(f, "visual.ln_post.bias"),
                f.tensor("visual.proj.weight"));
        tower = new VisionTower(patchWeight, BlockWeights.vec(f, "visual.class_embedding"), BlockWeights.vec(f, "visual.positional_embedding"),
                BlockWeights.vec(f, "visual.ln_pre.weight"), BlockWeights.vec(f, "visual.ln_pre.bias"), List.copyOf(b), head,
                c.imageSize(), c.patchSize(), c.visionWidth(), c.visionHeads(), c.activation() == Activation.QUICK_GELU, c.layerNormEps());
    }

    public VisionTower tower() {
        return tower;
    }

    /** Raw (unnormalised) image features [images.size(), E] for [3, R, R] images, in a buffer reused by this thread's next call. */
    public float[] forward(Backend be, List<float[]> images) {
        tower.checkImages(images);
        float[] out = scratch.get(0, images.size() * c.embedDim());
        be.visionTower(tower, images, out);
        return out;
    }
}
