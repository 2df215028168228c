package clip4j.backend;

import clip4j.io.Tensor;

/**
 * An optional capability of a device backend: the two few-shot adapter computations it can run whole, with their
 * intermediate products left on the device. The few-shot module asks for it ({@code be instanceof AdapterKernels})
 * and computes on the host (products on the backend, the rest in double) when the backend lacks it or declines.
 */
public interface AdapterKernels {
    /**
     * Tip-Adapter's logits for q queries x [q, d] (Zhang et al. 2022, eq. 6; upstream Tip-Adapter main.py
     * run_tip_adapter): out[i, c] = scale·(x_i·W_c) + alpha·Σ_{k: labels[k] = c} exp(−beta·(1 − x_i·K_k)), W [classes, d]
     * the zero-shot class weights, K [keys, d] the cache keys.
     *
     * @return whether it was computed (false: the caller computes it)
     */
    boolean tipAdapterLogits(float[] x, int q, int d, Tensor classWeights, Tensor keys, int[] labels, double scale,
                             double alpha, double beta, float[] out);

    /**
     * Meta-Adapter's refined class embeddings (Cheng et al. 2023, §3.2; upstream Meta-Adapter MetaAdapter.forward)
     * into out [classes, d]: class c has the text embedding w row c and the support features rows offsets[c] ..
     * offsets[c+1] of support [*, d]; with KV = [w; S], qk = W_kᵀ·W_q·w (qProj = W_q and kProjT = W_kᵀ, both [d, d]
     * for {@link Backend#linear}), a = softmax(qk·KV_j/√d), g = sigmoid(alphaWeight·w + alphaBias):
     * out = normalise(w + g·Σ_j a_j·KV_j).
     *
     * @return whether it was computed (false: the caller computes it, e.g. a class with more supports than fit)
     */
    boolean metaAdapterRefine(float[] w, int classes, int d, float[] support, int[] offsets, Tensor qProj, Tensor kProjT,
                              float[] alphaWeight, float alphaBias, float[] out);
}
