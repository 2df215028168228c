package clip4j.backend;

import clip4j.io.Tensor;

import java.util.List;

/**
 * The ViT image encoder of clip-spec §3 as weights and shape, for {@link Backend#visionTower}: patchWeight is conv1
 * viewed as the [width, 3·P²] matrix of the patch GEMM; positionalEmbedding is [tokens, width].
 */
public record VisionTower(Tensor patchWeight, float[] classEmbedding, float[] positionalEmbedding, float[] lnPreWeight,
                          float[] lnPreBias, List<BlockWeights> blocks, PooledHead head, int imageSize, int patchSize,
                          int width, int heads, boolean quickGelu, float eps) {
    /** patches, emb, x. */
    private static final Scratch SCRATCH = new Scratch(3);
    /** This thread's last class-row index, reused while the batch size repeats. */
    private static final ThreadLocal<int[]> CLASS_ROWS = ThreadLocal.withInitial(() -> new int[0]);

    public int grid() {
        return imageSize / patchSize;
    }

    /** Tokens per image: the class token and one per patch. */
    public int tokens() {
        return grid() * grid() + 1;
    }

    /** The reference forward pass, operation by operation on be: raw features [images.size(), E] into out. */
    void forwardOps(Backend be, List<float[]> images, float[] out) {
        int batch = images.size(), r = imageSize, p = patchSize, g = grid(), w = width, n = tokens(), k = 3 * p * p;
        // 1. patch embedding as a GEMM: patches [batch·G², 3P²] ordered ch, ky, kx
        float[] patches = SCRATCH.get(0, Math.multiplyExact(Math.multiplyExact(batch, g * g), k));
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
        float[] emb = SCRATCH.get(1, batch * g * g * w);
        be.linear(patches, batch * g * g, k, patchWeight, null, emb);
        // 2-3. class token first, then add the positional embedding
        float[] x = SCRATCH.get(2, batch * n * w);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < n; t++) {
                int xo = (b * n + t) * w;
                for (int i = 0; i < w; i++) {
                    float tok = t == 0 ? classEmbedding[i] : emb[(b * g * g + t - 1) * w + i];
                    x[xo + i] = tok + positionalEmbedding[t * w + i];
                }
            }
        }
        // 4. ln_pre; 5. transformer, no mask; 6-7. ln_post on each class token, projection
        be.layerNorm(x, batch * n, w, lnPreWeight, lnPreBias, eps, x);
        be.residualBlocks(x, batch, n, w, heads, false, quickGelu, eps, blocks);
        head.apply(be, x, w, classRows(batch), eps, out);
    }

    /** Checks that every image is a [3, R, R] array. */
    public void checkImages(List<float[]> images) {
        for (float[] px : images) {
            if (px.length != 3 * imageSize * imageSize) {
                throw new IllegalArgumentException("expected images of 3x" + imageSize + "x" + imageSize + ", got " + px.length + " values");
            }
        }
    }

    /** The row of each image's class token in the [batch·tokens, width] activations (valid until this thread's next call). */
    public int[] classRows(int batch) {
        int[] rows = CLASS_ROWS.get();
        if (rows.length != batch) CLASS_ROWS.set(rows = new int[batch]);
        for (int b = 0; b < batch; b++) rows[b] = b * tokens();
        return rows;
    }
}
