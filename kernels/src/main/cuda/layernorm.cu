// LayerNorm over rows of length cols (clip-spec §2): biased variance, eps inside the sqrt; out may alias x.
// One block per row (at most 1024 threads); two passes (mean, then centred variance) with block reductions.

// The sum of v over the block, returned to every thread (warp shuffles, then one warp over the warp sums).
__device__ float block_sum(float v, float *red) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        float w = threadIdx.x < blockDim.x / 32 ? red[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) w += __shfl_xor_sync(0xffffffff, w, o);
        if (threadIdx.x == 0) red[32] = w;
    }
    __syncthreads();
    float total = red[32];
    __syncthreads();
    return total;
}

extern "C" __global__ void layer_norm(const float *x, int rows, int cols, const float *__restrict__ gamma,
                                      const float *__restrict__ beta, float eps, float *out) {
    __shared__ float red[33];
    int row = blockIdx.x;
    if (row >= rows) return;
    const float *xr = x + (long) row * cols;
    float *yr = out + (long) row * cols;
    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
    float mean = block_sum(s, red) / cols;
    float q = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float d = xr[c] - mean;
        q = fmaf(d, d, q);
    }
    float inv = rsqrtf(block_sum(q, red) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = (xr[c] - mean) * inv * gamma[c] + beta[c];
}
