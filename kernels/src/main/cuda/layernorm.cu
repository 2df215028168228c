// LayerNorm over rows of length cols (upstream clip/model.py LayerNorm; docs/forward-pass.md#building-blocks): biased
// variance, eps inside the sqrt. Output row r normalises input row index[r] (index null: row r), so the encoders'
// pooled rows (the class token, each prompt's EOT: docs/forward-pass.md#image-tower and #text-tower) are gathered and
// normalised in one pass; out may alias x when index is null.
// One warp per output row, ROW_WARPS rows per block: the row is read from memory once and again from L1 (mean, then
// centred variance), both sums by warp shuffles, no block barriers.
#include "types.cuh"
#include "launch.h"

#define ROW_WARPS (ROW_THREADS / 32)

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    return v;
}

template <class TY>
__device__ void layer_norm_core(const float *x, int rows, int cols, const float *__restrict__ gamma,
                                const float *__restrict__ beta, float eps, TY *out, const int *__restrict__ index) {
    int row = blockIdx.x * ROW_WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= rows) return;
    const float *xr = x + (long) (index ? index[row] : row) * cols;
    TY *yr = out + (long) row * cols;
    float s = 0.0f;
    for (int c = lane; c < cols; c += 32) s += xr[c];
    float mean = warp_sum(s) / cols;
    float q = 0.0f;
    for (int c = lane; c < cols; c += 32) {
        float d = xr[c] - mean;
        q = fmaf(d, d, q);
    }
    float inv = rsqrtf(warp_sum(q) / cols + eps);
    for (int c = lane; c < cols; c += 32) yr[c] = from_float<TY>((xr[c] - mean) * inv * gamma[c] + beta[c]);
}

// out: fp32, or (layer_norm_f16 / _bf16) the 16-bit input of the tensor-core GEMM
#define LAYER_NORM(name, TY)                                                                                           \
    extern "C" __global__ void name(const float *x, int rows, int cols, const float *gamma, const float *beta,          \
                                    float eps, TY *out, const int *index) {                                             \
        layer_norm_core<TY>(x, rows, cols, gamma, beta, eps, out, index);                                              \
    }
LAYER_NORM(layer_norm, float)
LAYER_NORM(layer_norm_f16, __half)
LAYER_NORM(layer_norm_bf16, __nv_bfloat16)
