// The GEMM epilogue shared by linear.cu's kernels (docs/forward-pass.md#residual-block: Linear, then the MLP's activation, then the residual
// add; a ResNet's ReLU after the add, docs/forward-pass.md#resnet-image-tower): v = acc + bias[c]; v = act(v);
// v = (ACCUMULATE ? y : 0) + v; RELU: v = v < 0 ? 0 : v (NaN kept, as Java's Math.max). Flags: bits 0-1 the activation,
// bit 2 accumulate, bit 3 ReLU.
// y is fp32, or fp16 / bf16 for the activations the tensor-core path keeps in 16 bits (rounded to nearest even).
#pragma once
#include "types.cuh"
#include "launch.h"

// x * sigmoid(1.702 x), OpenAI CLIP's QuickGELU
__device__ __forceinline__ float quick_gelu_of(float v) { return v / (1.0f + expf(-1.702f * v)); }

// 0.5 x (1 + erf(x / sqrt 2)), the exact GELU (nn.GELU())
__device__ __forceinline__ float gelu_of(float v) { return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); }

template <class TY>
__device__ __forceinline__ void epilogue_store(float acc, const float *__restrict__ bias, int c, int flags, TY *y) {
    float v = acc + (bias ? bias[c] : 0.0f);
    int act = flags & EPI_ACT_MASK;
    if (act == EPI_QUICK_GELU) v = quick_gelu_of(v);
    else if (act == EPI_GELU) v = gelu_of(v);
    if (flags & EPI_ACCUMULATE) v += as_float(*y);
    if ((flags & EPI_RELU) && v < 0.0f) v = 0.0f;
    *y = from_float<TY>(v);
}
