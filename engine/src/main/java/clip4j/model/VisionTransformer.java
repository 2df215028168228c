package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

import java.util.List;

/**
 * Upstream clip/model.py {@code VisionTransformer}: conv1 as a patch GEMM, the class token, the positional embedding,
 * ln_pre, the transformer, then ln_post on the class token and the projection. patchWeight is conv1 [W, 3, P, P]
 * viewed as the [W, 3·P²] matrix of the patch GEMM; positionalEmbedding is [tokens, W].
 */
public record VisionTransformer(Tensor patchWeight, float[] classEmbedding, float[] positionalEmbedding, float[] lnPreWeight,
                                float[] lnPreBias, Transformer transformer, PooledHead head, int imageSize, int patchSize) implements VisionTower {
    private static final Workspace.Buffer PATCHES = Workspace.buffer("visual.patches"), EMB = Workspace.buffer("visual.conv1"),
            X = Workspace.buffer("visual.x"), CLASS_ROWS = Workspace.buffer("visual.classRows");

    public static VisionTransformer load(ModelFile f) {
        ClipConfig c = f.config();
        Tensor conv1 = f.tensor("visual.conv1.weight");
        // conv1 [W, 3, P, P] is row-major, so it is already the [W, 3·P·P] matrix of the patch GEMM
        Tensor patchWeight = new Tensor(conv1.name(), conv1.dtype(), new long[]{c.visionWidth(), 3L * c.patchSize() * c.patchSize()}, conv1.data());
        PooledHead head = new PooledHead(f.vector("visual.ln_post.weight"), f.vector("visual.ln_post.bias"), f.tensor("visual.proj.weight"),
                c.layerNormEps());
        return new VisionTransformer(patchWeight, f.vector("visual.class_embedding"), f.vector("visual.positional_embedding"),
                f.vector("visual.ln_pre.weight"), f.vector("visual.ln_pre.bias"),
                Transformer.load(f, "visual.transformer.", c.visionLayers(), c.visionWidth(), c.visionHeads(), false), head,
                c.imageSize(), c.patchSize());
    }

    /** The weight matrices of linear layers: the patch embedding, the blocks', then proj. */
    @Override
    public List<Tensor> matrices() {
        List<Tensor> all = new java.util.ArrayList<>();
        all.add(patchWeight);
        all.addAll(transformer.matrices());
        all.add(head.proj());
        return all;
    }

    public int width() {
        return transformer.width();
    }

    public int grid() {
        return imageSize / patchSize;
    }

    /** Tokens per image: the class token and one per patch. */
    public int tokens() {
        return grid() * grid() + 1;
    }

    @Override
    public void forward(Backend be, Workspace ws, List<float[]> images, float[] out) {
        checkImages(images);
        if (be instanceof TowerRunner runner && runner.vision(this, images, out)) return;
        int batch = images.size(), r = imageSize, p = patchSize, g = grid(), w = width(), n = tokens(), k = 3 * p * p;
        // x = self.conv1(x), as a GEMM over patches [batch·G², 3P²] ordered ch, ky, kx
        float[] patches = ws.floats(PATCHES, Math.multiplyExact(Math.multiplyExact(batch, g * g), k));
        for (int b = 0; b < batch; b++) {
            float[] pixels = images.get(b);
            for (int gy = 0; gy < g; gy++) {
                for (int gx = 0; gx < g; gx++) {
                    int po = ((b * g + gy) * g + gx) * k;
                    for (int ch = 0; ch < 3; ch++) {
                        for (int ky = 0; ky < p; ky++) {
                            int src = (ch * r + gy * p + ky) * r + gx * p;
                            System.arraycopy(pixels, src, patches, po + (ch * p + ky) * p, p);
                        }
                    }
                }
            }
        }
        float[] emb = ws.floats(EMB, Math.multiplyExact(batch * g * g, w));
        be.linear(patches, batch * g * g, k, patchWeight, null, emb);
        // x = cat([class_embedding, x]) + positional_embedding
        float[] x = ws.floats(X, Math.multiplyExact(batch * n, w));
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < n; t++) {
                int xo = (b * n + t) * w;
                for (int i = 0; i < w; i++) {
                    float tok = t == 0 ? classEmbedding[i] : emb[(b * g * g + t - 1) * w + i];
                    x[xo + i] = tok + positionalEmbedding[t * w + i];
                }
            }
        }
        // x = self.ln_pre(x); x = self.transformer(x); x = self.ln_post(x[:, 0, :]) @ self.proj
        be.layerNorm(x, batch * n, w, lnPreWeight, lnPreBias, transformer.eps(), x);
        transformer.forward(be, ws, x, batch, n);
        int[] classRows = ws.ints(CLASS_ROWS, batch);
        for (int b = 0; b < batch; b++) classRows[b] = b * n;
        head.forward(be, ws, x, w, classRows, batch, out);
    }
}
