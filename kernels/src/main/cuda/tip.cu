// Tip-Adapter's cache model (adapters-spec, Tip-Adapter): with the affinity A = Q · keys^T from linear_f32,
// logits = scale · zero_shot + alpha · exp(-beta (1 - A)) · L, L the one-hot labels of the keys.
// tip_cache_logits: one block per query; each thread sums exp(-beta(1 - A[q, j])) over its share of the keys into
// per-class bins in shared memory, then the block writes scale · zs[q, :] + alpha · bins. classes <= 4096.
#define MAX_CLASSES 4096

extern "C" __global__ void tip_cache_logits(const float *__restrict__ affinity, const int *__restrict__ labels,
                                            const float *__restrict__ zero_shot, int queries, int keys, int classes,
                                            float scale, float alpha, float beta, float *__restrict__ logits) {
    __shared__ float bins[MAX_CLASSES];
    int q = blockIdx.x;
    if (q >= queries) return;
    for (int c = threadIdx.x; c < classes; c += blockDim.x) bins[c] = 0.0f;
    __syncthreads();
    const float *a = affinity + (long) q * keys;
    for (int j = threadIdx.x; j < keys; j += blockDim.x) atomicAdd(&bins[labels[j]], expf(-beta * (1.0f - a[j])));
    __syncthreads();
    for (int c = threadIdx.x; c < classes; c += blockDim.x) {
        logits[(long) q * classes + c] = scale * zero_shot[(long) q * classes + c] + alpha * bins[c];
    }
}
