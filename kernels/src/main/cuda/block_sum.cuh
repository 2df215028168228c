// Block-wide sum for meta.cu's one-block-per-class kernel: warp shuffles, then one warp over the warp sums.
#pragma once

// The sum of v over the block (blockDim.x a multiple of 32, at most 1024), returned to every thread; red holds 33.
__device__ __forceinline__ float block_sum(float v, float *red) {
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
