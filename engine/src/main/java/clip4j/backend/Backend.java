package clip4j.backend;

import clip4j.io.Tensor;

import java.util.List;

/**
 * The numeric operations of the CLIP forward pass (clip-spec §2). Activations are row-major float[];
 * weight matrices are {@link Tensor}s in PyTorch Linear layout [out, in], stored f32, f16 or bf16, usually
 * slices of the memory-mapped model file. Implementations: {@link ScalarBackend} (the reference),
 * {@link VectorBackend} (Vector API), and the CUDA backend of the kernels module.
 */
public interface Backend extends AutoCloseable {
    String name();

    /** out[m, n] = x[m, k] · wᵀ + bias (bias may be null); w is [n, k]. */
    void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] out);

    /** LayerNorm over rows of length cols (biased variance, eps inside the sqrt); in and out may alias. */
    void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] out);

    /**
     * Multi-head self-attention core for {@code batch} sequences of {@code seq} tokens: qkv is [batch·seq, 3·width]
     * (the in_proj output: Q | K | V), out is [batch·seq, width], heads of width/heads contiguous columns,
     * scores scaled by 1/√headDim, softmax over keys, keys after the query masked when causal.
     */
    void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] out);

    /** x ← x·sigmoid(1.702·x) on x[0, n). */
    void quickGelu(float[] x, int n);

    /** x ← 0.5·x·(1 + erf(x/√2)) on x[0, n) (exact GELU, not the tanh form). */
    void gelu(float[] x, int n);

    /** Softmax in place over x[off, off+n), with the row maximum subtracted. */
    void softmax(float[] x, int off, int n);

    /**
     * The residual attention blocks of clip-spec §2, in order, on x [batch·seq, width] in place (QuickGELU or exact
     * GELU in the MLP). The default runs them operation by operation on this backend; a device backend overrides it
     * to keep the activations on the device between the operations.
     */
    default void residualBlocks(float[] x, int batch, int seq, int width, int heads, boolean causal, boolean quickGelu,
                                float eps, List<BlockWeights> blocks) {
        ResidualBlocks.run(this, x, batch, seq, width, heads, causal, quickGelu, eps, blocks);
    }

    /**
     * The whole image encoder of clip-spec §3 on images (each a preprocessed [3, R, R] array): raw features
     * [images.size(), E] into out. The default runs it operation by operation on this backend; a device backend
     * overrides it to keep every activation on the device (the pixels up once, the features down once).
     */
    default void visionTower(VisionTower t, List<float[]> images, float[] out) {
        t.forwardOps(this, images, out);
    }

    /**
     * The whole text encoder of clip-spec §4 on token ids [batch, seq] (row-major, each prompt padded to seq): token
     * and positional embedding, the causal transformer, then ln_final and the projection of row pool[b] (an index
     * into the batch·seq rows) for each prompt; raw features [batch, E] into out. The default runs it operation by
     * operation on this backend; a device backend overrides it (the ids up, the features down).
     */
    default void textTower(TextTower t, int[] tokens, int batch, int seq, int[] pool, float[] out) {
        t.forwardOps(this, tokens, batch, seq, pool, out);
    }

    /**
     * Tip-Adapter's logits for q queries x [q, d] (adapters-spec, Tip-Adapter): out[i, c] = scale·(x_i·W_c) +
     * alpha·Σ_{k: labels[k] = c} exp(−beta·(1 − x_i·K_k)), W [classes, d] the zero-shot class weights, K [keys, d]
     * the cache keys. The default runs the two products on this backend and the exponentials and the per-class sums in
     * double on the host; a device backend keeps the affinities on the device.
     */
    default void tipAdapterLogits(float[] x, int q, int d, Tensor classWeights, Tensor keys, int[] labels, double scale,
                                  double alpha, double beta, float[] out) {
        int n = Math.toIntExact(classWeights.shape()[0]), nk = Math.toIntExact(keys.shape()[0]);
        float[] zs = new float[q * n];
        linear(x, q, d, classWeights, null, zs);
        float[] aff = new float[q * nk];
        if (nk > 0) linear(x, q, d, keys, null, aff);
        double[] c = new double[n];
        for (int i = 0; i < q; i++) {
            java.util.Arrays.fill(c, 0);
            int o = i * nk;
            for (int k = 0; k < nk; k++) c[labels[k]] += StrictMath.exp(-beta * (1 - aff[o + k]));
            for (int k = 0; k < n; k++) out[i * n + k] = (float) (scale * zs[i * n + k] + alpha * c[k]);
        }
    }

    /**
     * Meta-Adapter's refined class embeddings (adapters-spec §5.2) into out [classes, d]: class c has the text
     * embedding w row c and the support features rows offsets[c] .. offsets[c+1] of support [*, d]; with KV = [w; S],
     * qk = W_kᵀ·W_q·w (qProj = W_q and kProjT = W_kᵀ, both [d, d] for {@link #linear}), a = softmax(qk·KV_j/√d),
     * g = sigmoid(alphaWeight·w + alphaBias): out = normalise(w + g·Σ_j a_j·KV_j). The default runs the two products on
     * this backend and the per-class attention in double on the host.
     */
    default void metaAdapterRefine(float[] w, int classes, int d, float[] support, int[] offsets, Tensor qProj, Tensor kProjT,
                                   float[] alphaWeight, float alphaBias, float[] out) {
        float[] q = new float[classes * d], qk = new float[classes * d];
        linear(w, classes, d, qProj, null, q);
        linear(q, classes, d, kProjT, null, qk);
        MetaRefine.attend(w, classes, d, support, offsets, qk, alphaWeight, alphaBias, out);
    }

    /** Images per encoder forward pass: 8 turns a CPU's per-layer products into large enough GEMMs; a GPU wants more. */
    default int imageBatch() {
        return 8;
    }

    @Override
    default void close() {
    }
}
