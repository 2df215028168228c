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
