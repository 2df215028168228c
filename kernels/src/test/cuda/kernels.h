// The entry points of kernels/src/main/cuda as host functions under the emulation (cuda_emu.h), for
// kernel_emulation.cpp and emulated_driver.cpp. Each signature must match its kernel's definition.
#pragma once
#include "emu/cuda_emu.h"

extern "C" {
void linear_f32(const float *, const float *, const float *, float *, int, int, int, int);
void linear_f16(const float *, const __half *, const float *, float *, int, int, int, int);
void linear_f16_x16(const __half *, const __half *, const float *, float *, int, int, int, int);
void linear_f16_x16_y16(const __half *, const __half *, const float *, __half *, int, int, int, int);
void linear_bf16(const float *, const __nv_bfloat16 *, const float *, float *, int, int, int, int);
void linear_bf16_x16(const __nv_bfloat16 *, const __nv_bfloat16 *, const float *, float *, int, int, int, int);
void linear_bf16_x16_y16(const __nv_bfloat16 *, const __nv_bfloat16 *, const float *, __nv_bfloat16 *, int, int, int, int);
void layer_norm(const float *, int, int, const float *, const float *, float, float *, const int *);
void layer_norm_f16(const float *, int, int, const float *, const float *, float, __half *, const int *);
void layer_norm_bf16(const float *, int, int, const float *, const float *, float, __nv_bfloat16 *, const int *);
void attention_hd64(const float *, int, int, int, int, float *);
void attention_hd80(const float *, int, int, int, int, float *);
void attention_hd128(const float *, int, int, int, int, float *);
void attention_f16_hd64(const __half *, int, int, int, int, __half *);
void attention_f16_hd80(const __half *, int, int, int, int, __half *);
void attention_f16_hd128(const __half *, int, int, int, int, __half *);
void attention_bf16_hd64(const __nv_bfloat16 *, int, int, int, int, __nv_bfloat16 *);
void attention_bf16_hd80(const __nv_bfloat16 *, int, int, int, int, __nv_bfloat16 *);
void attention_bf16_hd128(const __nv_bfloat16 *, int, int, int, int, __nv_bfloat16 *);
void quick_gelu(float *, long);
void gelu(float *, long);
void softmax_rows(float *, int, int);
void unfold_patches(const float *, int, int, int, float *);
void im2col_nhwc(const float *, int, int, int, int, int, int, int, int, int, float *);
void avg_pool_nhwc(const float *, int, int, int, int, int, float *);
void text_tokens(const int *, const float *, const float *, int, int, int, float *);
void vision_tokens(const float *, const float *, const float *, int, int, int, float *);
void tip_cache_logits(const float *, const int *, const int *, const float *, int, int, int, float, float, float, float *);
void meta_refine(const float *, const float *, const int *, const float *, int, int, const float *, float, float *);
}
