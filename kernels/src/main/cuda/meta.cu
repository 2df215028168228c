// Meta-Adapter's refinement of the class embeddings (upstream Meta-Adapter MetaAdapter.forward; docs/adapters.md#meta-adapter), one block per class. With w the class's
// text embedding, its support features S_c = support rows offsets[c] .. offsets[c+1], KV = [w; S_c] and
// qk = W_k^T · W_q · w (two GEMMs by linear.cu beforehand): a = softmax(qk · KV_j / sqrt(d)); F = sum_j a_j KV_j;
// g = sigmoid(alpha_w · w + alpha_b); out = normalise(w + g F). At most META_MAX_SLOTS - 1 supports per class.
#include "block_sum.cuh"
#include "launch.h"

extern "C" __global__ void meta_refine(const float *__restrict__ w, const float *__restrict__ support,
                                       const int *__restrict__ offsets, const float *__restrict__ qk, int classes, int d,
                                       const float *__restrict__ alpha_w, float alpha_b, float *__restrict__ out) {
    __shared__ float red[33];
    __shared__ float att[META_MAX_SLOTS];
    int c = blockIdx.x;
    if (c >= classes) return;
    const float *wc = w + (long) c * d, *qc = qk + (long) c * d;
    int first = offsets[c], slots = offsets[c + 1] - first + 1;
    float scale = rsqrtf((float) d), mx = -INFINITY;
    for (int j = 0; j < slots; j++) {
        const float *kv = j == 0 ? wc : support + (long) (first + j - 1) * d;
        float s = 0.0f;
        for (int t = threadIdx.x; t < d; t += blockDim.x) s = fmaf(qc[t], kv[t], s);
        float score = block_sum(s, red) * scale;
        if (threadIdx.x == 0) att[j] = score;
        mx = fmaxf(mx, score);
    }
    __syncthreads();
    float sum = 0.0f;
    for (int j = 0; j < slots; j++) sum += expf(att[j] - mx);
    __syncthreads();
    for (int j = threadIdx.x; j < slots; j += blockDim.x) att[j] = expf(att[j] - mx) / sum;
    __syncthreads();
    float g = 0.0f;
    for (int t = threadIdx.x; t < d; t += blockDim.x) g = fmaf(alpha_w[t], wc[t], g);
    g = 1.0f / (1.0f + expf(-(block_sum(g, red) + alpha_b)));
    float *oc = out + (long) c * d, nn = 0.0f;
    for (int t = threadIdx.x; t < d; t += blockDim.x) {
        float f = 0.0f;
        for (int j = 0; j < slots; j++) f = fmaf(att[j], j == 0 ? wc[t] : support[(long) (first + j - 1) * d + t], f);
        float u = wc[t] + g * f;
        oc[t] = u;
        nn = fmaf(u, u, nn);
    }
    float inv = rsqrtf(block_sum(nn, red));
    for (int t = threadIdx.x; t < d; t += blockDim.x) oc[t] *= inv;
}
