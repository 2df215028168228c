// Tip-Adapter's cache model (upstream Tip-Adapter main.py run_tip_adapter; docs/adapters.md#tip-adapter): with the affinity A = Q · keys^T from linear.cu,
// logits = scale · zero_shot + alpha · exp(-beta (1 - A)) · L, L the one-hot labels of the keys.
// The labels come as a class index (CSR): class c owns keys order[offsets[c] .. offsets[c+1]), so one thread per
// (query, class) sums its own keys in a fixed order: no atomics, the same result on every run. Keys stored class by
// class (the usual cache) pass order = null: no indirection, and a warp reads one contiguous stretch of the affinity
// row with independent loads. Any class count.
extern "C" __global__ void tip_cache_logits(const float *__restrict__ affinity, const int *__restrict__ order,
                                            const int *__restrict__ offsets, const float *__restrict__ zero_shot,
                                            int queries, int keys, int classes, float scale, float alpha, float beta,
                                            float *__restrict__ logits) {
    int c = blockIdx.y * blockDim.x + threadIdx.x, q = blockIdx.x;
    if (c >= classes || q >= queries) return;
    const float *a = affinity + (long) q * keys;
    float s = 0.0f;
    int first = offsets[c], last = offsets[c + 1];
    if (order) {
        for (int j = first; j < last; j++) s += expf(-beta * (1.0f - a[order[j]]));
    } else {
#pragma unroll 4
        for (int j = first; j < last; j++) s += expf(-beta * (1.0f - a[j]));
    }
    long o = (long) q * classes + c;
    logits[o] = scale * zero_shot[o] + alpha * s;
}
