package clip4j.fewshot;

import clip4j.backend.Backend;
import clip4j.io.Tensor;

/**
 * The two adapter computations a device backend may run whole (an optional capability, like the model's
 * {@code TowerRunner}): Tip-Adapter's cache logits and Meta-Adapter's refinement. {@link #of} gives the backend itself
 * when it implements this, otherwise {@link HostAdapterKernels}: the products on the backend, the rest on the host.
 */
public interface AdapterKernels {
    /**
     * Tip-Adapter's logits for q queries x [q, d] (Zhang et al. 2022, eq. 6; upstream tip-adapter main.py):
     * out[i, c] = scale·(x_i·W_c) + alpha·Σ_{k: labels[k] = c} exp(−beta·(1 − x_i·K_k)), W [classes, d] the zero-shot
     * class weights, K [keys, d] the cache keys.
     */
    void tipAdapterLogits(float[] x, int q, int d, Tensor classWeights, Tensor keys, int[] labels, double scale,
                          double alpha, double beta, float[] out);

    /**
     * Meta-Adapter's refined class embeddings (Cheng et al. 2023, §3.2; upstream meta-adapter's MetaAdapter.forward)
     * into out [classes, d]: class c has the text embedding w row c and the support features rows offsets[c] ..
     * offsets[c+1] of support [*, d]; with KV = [w; S], qk = W_kᵀ·W_q·w (qProj = W_q and kProjT = W_kᵀ, both [d, d]
     * for {@link Backend#linear}), a = softmax(qk·KV_j/√d), g = sigmoid(alphaWeight·w + alphaBias):
     * out = normalise(w + g·Σ_j a_j·KV_j).
     */
    void metaAdapterRefine(float[] w, int classes, int d, float[] support, int[] offsets, Tensor qProj, Tensor kProjT,
                           float[] alphaWeight, float alphaBias, float[] out);

    /** The backend's own adapter kernels when it has them, else the products on it and the rest on the host. */
    static AdapterKernels of(Backend be) {
        return be instanceof AdapterKernels k ? k : new HostAdapterKernels(be);
    }
}
