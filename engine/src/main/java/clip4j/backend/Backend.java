package clip4j.backend;

import clip4j.io.Tensor;

import java.util.List;

/**
 * The numeric operations the CLIP forward passes are written against (the model package runs them in the order of
 * upstream clip/model.py). Activations are row-major float[]; weight matrices are {@link Tensor}s in PyTorch Linear
 * layout [out, in], stored f32, f16 or bf16, usually slices of the memory-mapped model file. Implementations:
 * {@link ScalarBackend} (the reference), {@link VectorBackend} (Vector API), and the CUDA backend of the kernels
 * module, which may also run whole encoders (a capability the model asks for; see {@code clip4j.model.TowerRunner}).
 * A backend may be called from several threads; it runs one operation at a time or is otherwise safe.
 */
public interface Backend extends AutoCloseable {
    String name();

    /**
     * out[m, n] = x[m, k] · wᵀ + bias (bias may be null), then the epilogue: an activation in place, or for
     * {@link Epilogue#RESIDUAL} out ← out + (x·wᵀ + bias); w is [n, k].
     */
    void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] out, Epilogue epilogue);

    /** {@link #linear(float[], int, int, Tensor, float[], float[], Epilogue)} without an epilogue. */
    default void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] out) {
        linear(x, m, k, w, bias, out, Epilogue.NONE);
    }

    /**
     * A 2-D convolution over NHWC activations (a ResNet's; upstream torch {@code nn.Conv2d} with zero padding): x is
     * [batch, h, w, c], the weight the [out, kernel·kernel·c] matrix of a [out, kernel, kernel, c] convolution, out
     * [batch, oh, ow, out] with oh = (h + 2·pad − kernel)/stride + 1 (and ow alike), bias may be null; then the
     * epilogue, as {@link #linear}'s. By default the patches are gathered (im2col, K ordered ky, kx, c) and multiplied
     * by {@link #linear}: a 1×1 convolution of stride 1 is the product itself.
     */
    default void conv2d(float[] x, int batch, int h, int w, int c, Tensor weight, int kernel, float[] bias, int stride, int pad,
                        float[] out, Epilogue epilogue) {
        Im2col im = Im2col.of(batch, h, w, c, kernel, stride, pad);
        im.check(x, weight, bias, out);
        if (im.identity()) {
            linear(x, im.rows(), im.cols(), weight, bias, out, epilogue);
            return;
        }
        float[] patches = new float[Math.multiplyExact(im.rows(), im.cols())];
        im.gather(x, patches);
        linear(patches, im.rows(), im.cols(), weight, bias, out, epilogue);
    }

    /**
     * Average pooling over kernel × kernel windows with stride kernel (upstream torch {@code nn.AvgPool2d(kernel)}:
     * no padding, a partial last window dropped), NHWC: x [batch, h, w, c] → out [batch, h/kernel, w/kernel, c]; each
     * window summed in row order in f32, then divided by kernel². Plain loops by default.
     */
    default void avgPool2d(float[] x, int batch, int h, int w, int c, int kernel, float[] out) {
        checkAvgPool(x, batch, h, w, c, kernel, out);
        int oh = h / kernel, ow = w / kernel;
        float area = kernel * kernel;
        for (int b = 0; b < batch; b++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int o = ((b * oh + oy) * ow + ox) * c;
                    for (int ch = 0; ch < c; ch++) {
                        float sum = 0f;
                        for (int ky = 0; ky < kernel; ky++) {
                            for (int kx = 0; kx < kernel; kx++) sum += x[((b * h + oy * kernel + ky) * w + ox * kernel + kx) * c + ch];
                        }
                        out[o + ch] = sum / area;
                    }
                }
            }
        }
    }

    /** {@link #avgPool2d}'s arguments: a kernel of at least 1, buffers that hold the shapes. */
    static void checkAvgPool(float[] x, int batch, int h, int w, int c, int kernel, float[] out) {
        if (batch < 0 || h < 1 || w < 1 || c < 1 || kernel < 1 || x.length < (long) batch * h * w * c
                || out.length < (long) batch * (h / kernel) * (w / kernel) * c) {
            throw new IllegalArgumentException("avgPool2d: bad shape " + batch + "x" + h + "x" + w + "x" + c + " kernel " + kernel);
        }
    }

    /** LayerNorm over rows of length cols (biased variance, eps inside the sqrt); in and out may alias. */
    void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] out);

    /**
     * Multi-head self-attention core for {@code batch} sequences of {@code seq} tokens: qkv is [batch·seq, 3·width]
     * (the in_proj output: Q | K | V), out is [batch·seq, width], heads of width/heads contiguous columns,
     * scores scaled by 1/√headDim, softmax over keys, keys after the query masked when causal.
     */
    void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] out);

    /**
     * Attention pooling (upstream clip/model.py {@code AttentionPool2d}'s {@code multi_head_attention_forward} with
     * query=x[:1], key=value=x): for each of {@code batch} sequences of {@code seq} tokens [batch·seq, width], the one
     * query q[b] (already projected) attends over the tokens' keys tokens·kWᵀ + kBias and values tokens·vWᵀ + vBias, heads of
     * width/heads contiguous columns, scores scaled by 1/√headDim; out [batch, width] is the heads' outputs before the
     * output projection. By default as written: both projections of every token, then {@link #attention}.
     */
    default void attentionPool(float[] tokens, int batch, int seq, int width, int heads, float[] q, Tensor kW, float[] kBias,
                               Tensor vW, float[] vBias, float[] out) {
        checkAttentionPool(tokens, batch, seq, width, heads, q, kW, vW, out);
        int rows = Math.multiplyExact(batch, seq);
        float[] k = new float[Math.multiplyExact(rows, width)], v = new float[rows * width];
        linear(tokens, rows, width, kW, kBias, k);
        linear(tokens, rows, width, vW, vBias, v);
        // the attention operation takes [rows, Q | K | V]; only each sequence's first query is set, and its row read
        float[] qkv = new float[Math.multiplyExact(rows, 3 * width)], attn = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            int o = r * 3 * width;
            if (r % seq == 0) System.arraycopy(q, r / seq * width, qkv, o, width);
            System.arraycopy(k, r * width, qkv, o + width, width);
            System.arraycopy(v, r * width, qkv, o + 2 * width, width);
        }
        attention(qkv, batch, seq, width, heads, false, attn);
        for (int b = 0; b < batch; b++) System.arraycopy(attn, b * seq * width, out, b * width, width);
    }

    /** {@link #attentionPool}'s arguments: whole heads, buffers that hold the shapes, square projections. */
    static void checkAttentionPool(float[] tokens, int batch, int seq, int width, int heads, float[] q, Tensor kW, Tensor vW, float[] out) {
        if (batch < 0 || seq < 1 || width < 1 || heads < 1 || width % heads != 0 || tokens.length < (long) batch * seq * width
                || q.length < (long) batch * width || out.length < (long) batch * width || !kW.hasShape(width, width) || !vW.hasShape(width, width)) {
            throw new IllegalArgumentException("attentionPool: bad shape " + batch + "x" + seq + "x" + width + ", " + heads + " heads");
        }
    }

    /** x ← x·sigmoid(1.702·x) on x[0, n). */
    void quickGelu(float[] x, int n);

    /** x ← 0.5·x·(1 + erf(x/√2)) on x[0, n) (exact GELU, not the tanh form). */
    void gelu(float[] x, int n);

    /** Softmax in place over x[off, off+n), with the row maximum subtracted. */
    void softmax(float[] x, int off, int n);

    /**
     * Hands over a model's weight matrices (as {@link #linear} takes them, [n, k]) before their first use; source
     * identifies the model file's content. A backend may lay them out for its kernels once (the CPU backend maps them
     * packed from a panel file in its cache directory). Nothing by default.
     */
    default void prepare(String source, List<Tensor> matrices) {
    }

    /** Images per encoder forward pass: 8 turns a CPU's per-layer products into large enough GEMMs; a GPU wants more. */
    default int imageBatch() {
        return 8;
    }

    @Override
    default void close() {
    }
}
