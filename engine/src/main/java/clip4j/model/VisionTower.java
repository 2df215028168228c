package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

import java.util.List;

/** Upstream clip/model.py {@code CLIP.visual}: a {@link VisionTransformer} or a {@link ModifiedResNet}. */
public sealed interface VisionTower permits VisionTransformer, ModifiedResNet {
    /** The tower of a model file's config. */
    static VisionTower load(ModelFile f) {
        return f.config().isResNet() ? ModifiedResNet.load(f) : VisionTransformer.load(f);
    }

    /** Raw (unnormalised) image features [images.size(), E] of preprocessed [3, R, R] images into out. */
    void forward(Backend be, Workspace ws, List<float[]> images, float[] out);

    /** The weight matrices of its products (for {@link Backend#prepare}). */
    List<Tensor> matrices();

    /** The input resolution R. */
    int imageSize();

    /** Checks that every image is a [3, R, R] array. */
    default void checkImages(List<float[]> images) {
        int r = imageSize();
        for (float[] px : images) {
            if (px.length != 3 * r * r) throw new IllegalArgumentException("expected images of 3x" + r + "x" + r + ", got " + px.length + " values");
        }
    }
}
