// Multi-head self-attention core (upstream torch nn.MultiheadAttention as clip/model.py uses it, Backend.attention;
// docs/forward-pass.md#building-blocks): qkv is [batch·seq, 3·width] (Q | K | V), out is
// [batch·seq, width]; head h owns columns h·HD .. h·HD+HD; scores scaled by 1/sqrt(HD); causal masks keys after the
// query. attention_hd<HD> (fp32) is flash-style: one block per (sequence·head, tile of 64 queries), one thread per query holding its q and
// output row in registers (HD a compile-time constant, so the arrays stay in registers), keys and values streamed
// through shared memory 32 at a time with an online softmax, so any sequence length fits. Entry points per head
// width: 64 (every OpenAI CLIP), 80 (ViT-H/14), 128.
#include <mma.h>
#include "types.cuh"
#include "launch.h"

#define QT ATTENTION_QUERIES
#define KT 32

template <int HD>
__device__ void attention_core(const float *__restrict__ qkv, int seq, int width, int heads, int causal,
                               float *__restrict__ out) {
    __shared__ float ks[KT][HD + 1];
    __shared__ float vs[KT][HD + 1];
    int task = blockIdx.x, b = task / heads, h = task % heads;
    int i = blockIdx.y * QT + threadIdx.x;
    int stride = 3 * width;
    long base = (long) b * seq;
    float scale = rsqrtf((float) HD);
    float q[HD], acc[HD];
    bool active = i < seq;
#pragma unroll
    for (int d = 0; d < HD; d++) {
        q[d] = active ? qkv[(base + i) * stride + h * HD + d] * scale : 0.0f;
        acc[d] = 0.0f;
    }
    float mx = -INFINITY, sum = 0.0f;
    int last = causal ? min(seq, (int) (blockIdx.y * QT + QT)) : seq;
    for (int j0 = 0; j0 < last; j0 += KT) {
        for (int e = threadIdx.x; e < KT * HD; e += blockDim.x) {
            int j = e / HD, d = e % HD;
            bool ok = j0 + j < seq;
            ks[j][d] = ok ? qkv[(base + j0 + j) * stride + width + h * HD + d] : 0.0f;
            vs[j][d] = ok ? qkv[(base + j0 + j) * stride + 2 * width + h * HD + d] : 0.0f;
        }
        __syncthreads();
        if (active) {
            int keys = min(KT, (causal ? i + 1 : seq) - j0);
            for (int j = 0; j < keys; j++) {
                float s = 0.0f;
#pragma unroll
                for (int d = 0; d < HD; d++) s = fmaf(q[d], ks[j][d], s);
                float nm = fmaxf(mx, s);
                float corr = __expf(mx - nm), p = __expf(s - nm);
                sum = sum * corr + p;
#pragma unroll
                for (int d = 0; d < HD; d++) acc[d] = fmaf(p, vs[j][d], acc[d] * corr);
                mx = nm;
            }
        }
        __syncthreads();
    }
    if (active) {
        float inv = 1.0f / sum;
#pragma unroll
        for (int d = 0; d < HD; d++) out[(base + i) * width + h * HD + d] = acc[d] * inv;
    }
}

extern "C" __global__ void attention_hd64(const float *qkv, int seq, int width, int heads, int causal, float *out) {
    attention_core<64>(qkv, seq, width, heads, causal, out);
}

extern "C" __global__ void attention_hd80(const float *qkv, int seq, int width, int heads, int causal, float *out) {
    attention_core<80>(qkv, seq, width, heads, causal, out);
}

extern "C" __global__ void attention_hd128(const float *qkv, int seq, int width, int heads, int causal, float *out) {
    attention_core<128>(qkv, seq, width, heads, causal, out);
}

// attention_<t>_hd<HD>, t = f16 | bf16: the same attention on tensor cores for the 16-bit path (qkv and out are t;
// scores, softmax and accumulation fp32). A block is WARPS warps of 16 queries each, of one (sequence, head); keys and
// values pass through shared memory TK at a time. Two passes over the keys: the first finds each query's maximum
// score and softmax sum, the second forms the final probabilities P and accumulates P·V in the warp's wmma
// accumulators, which then never need rescaling (wmma does not expose which row a fragment element belongs to).
// The scores S = Q·K^T are computed twice: 1.5x the flops of one pass, cheap next to the memory it saves.
#define TQ ATTENTION_TC_WARP_QUERIES
#define TK 32

template <class T, int HD, int WARPS>
__device__ void attention_tc(const T *__restrict__ qkv, int seq, int width, int heads, int causal, T *__restrict__ out) {
    using namespace nvcuda;
    constexpr int LD = HD + 8, SLD = TK + 4, PLD = TK + 8;  // row strides: 16-bit tiles, fp32 scores, 16-bit P
    __shared__ __align__(128) T qs[WARPS * TQ][LD];
    __shared__ __align__(128) T ks[TK][LD];
    __shared__ __align__(128) T vs[TK][LD];
    __shared__ __align__(128) float ss[WARPS][TQ][SLD];
    __shared__ __align__(128) T ps[WARPS][TQ][PLD];
    int task = blockIdx.x, b = task / heads, h = task % heads;
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int q0 = blockIdx.y * WARPS * TQ, stride = 3 * width;
    long base = (long) b * seq;
    float scale = rsqrtf((float) HD);
    for (int e = threadIdx.x; e < WARPS * TQ * (HD / 8); e += blockDim.x) {
        int r = e / (HD / 8), c = e % (HD / 8) * 8;
        uint4 v = {0, 0, 0, 0};
        if (q0 + r < seq) v = *reinterpret_cast<const uint4 *>(qkv + (base + q0 + r) * stride + h * HD + c);
        *reinterpret_cast<uint4 *>(&qs[r][c]) = v;
    }
    int keyEnd = causal ? min(seq, q0 + WARPS * TQ) : seq;  // no query of the block sees a key past this
    // this lane's share of each score tile: row r of the warp's 16 queries, columns half·16 .. half·16 + 15
    int r = lane / 2, half = lane % 2, qi = q0 + warp * TQ + r;
    float mx = -INFINITY, sum = 0.0f, inv = 0.0f;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> o[HD / 16];
#pragma unroll
    for (int j = 0; j < HD / 16; j++) wmma::fill_fragment(o[j], 0.0f);
    for (int pass = 0; pass < 2; pass++) {
        for (int j0 = 0; j0 < keyEnd; j0 += TK) {
            __syncthreads();  // the previous tile is consumed
            for (int e = threadIdx.x; e < TK * (HD / 8); e += blockDim.x) {
                int j = e / (HD / 8), c = e % (HD / 8) * 8;
                uint4 kv = {0, 0, 0, 0}, vv = {0, 0, 0, 0};
                if (j0 + j < seq) {
                    const T *row = qkv + (base + j0 + j) * stride + h * HD + c;
                    kv = *reinterpret_cast<const uint4 *>(row + width);
                    if (pass == 1) vv = *reinterpret_cast<const uint4 *>(row + 2 * width);
                }
                *reinterpret_cast<uint4 *>(&ks[j][c]) = kv;
                if (pass == 1) *reinterpret_cast<uint4 *>(&vs[j][c]) = vv;  // zeros past seq: 0 · garbage could be NaN
            }
            __syncthreads();
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> s[TK / 16];
#pragma unroll
            for (int j = 0; j < TK / 16; j++) wmma::fill_fragment(s[j], 0.0f);
#pragma unroll
            for (int kk = 0; kk < HD; kk += 16) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
                wmma::load_matrix_sync(a, &qs[warp * TQ][kk], LD);
#pragma unroll
                for (int j = 0; j < TK / 16; j++) {
                    wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> kt;
                    wmma::load_matrix_sync(kt, &ks[j * 16][kk], LD);
                    wmma::mma_sync(s[j], a, kt, s[j]);
                }
            }
#pragma unroll
            for (int j = 0; j < TK / 16; j++) wmma::store_matrix_sync(&ss[warp][0][j * 16], s[j], SLD, wmma::mem_row_major);
            __syncwarp();
            float sv[16];
#pragma unroll
            for (int t = 0; t < 16; t++) {
                int j = j0 + half * 16 + t;
                sv[t] = j < seq && (!causal || j <= qi) ? ss[warp][r][half * 16 + t] * scale : -INFINITY;
            }
            if (pass == 0) {
                float tm = -INFINITY;
#pragma unroll
                for (int t = 0; t < 16; t++) tm = fmaxf(tm, sv[t]);
                tm = fmaxf(tm, __shfl_xor_sync(0xffffffff, tm, 1));
                float nm = fmaxf(mx, tm), part = 0.0f;
                if (nm != -INFINITY) {
#pragma unroll
                    for (int t = 0; t < 16; t++) part += __expf(sv[t] - nm);
                }
                part += __shfl_xor_sync(0xffffffff, part, 1);
                sum = mx == -INFINITY ? part : sum * __expf(mx - nm) + part;
                mx = nm;
            } else {
#pragma unroll
                for (int t = 0; t < 16; t++) ps[warp][r][half * 16 + t] = from_float<T>(sv[t] == -INFINITY ? 0.0f : __expf(sv[t] - mx) * inv);
                __syncwarp();
#pragma unroll
                for (int kk = 0; kk < TK; kk += 16) {
                    wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> p;
                    wmma::load_matrix_sync(p, &ps[warp][0][kk], PLD);
#pragma unroll
                    for (int j = 0; j < HD / 16; j++) {
                        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> v;
                        wmma::load_matrix_sync(v, &vs[kk][j * 16], LD);
                        wmma::mma_sync(o[j], p, v, o[j]);
                    }
                }
            }
            __syncwarp();  // ss and ps are rewritten for the next tile
        }
        inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    }
#pragma unroll
    for (int j = 0; j < HD / 16; j++) {
        wmma::store_matrix_sync(&ss[warp][0][0], o[j], SLD, wmma::mem_row_major);
        __syncwarp();
        for (int e = lane; e < 256; e += 32) {
            int q = q0 + warp * TQ + e / 16;
            if (q < seq) out[(base + q) * width + h * HD + j * 16 + e % 16] = from_float<T>(ss[warp][e / 16][e % 16]);
        }
        __syncwarp();
    }
}

// Entry points: ATTENTION_TC_WARPS warps a block, ATTENTION_TC_WARPS_HD128 at head width 128 (launch.h).
#define ATTENTION_TC(name, T, HD, WARPS)                                                                               \
    extern "C" __global__ void __launch_bounds__(WARPS * 32)                                                           \
        name(const T *qkv, int seq, int width, int heads, int causal, T *out) {                                       \
        attention_tc<T, HD, WARPS>(qkv, seq, width, heads, causal, out);                                               \
    }
ATTENTION_TC(attention_f16_hd64, __half, 64, ATTENTION_TC_WARPS)
ATTENTION_TC(attention_f16_hd80, __half, 80, ATTENTION_TC_WARPS)
ATTENTION_TC(attention_f16_hd128, __half, 128, ATTENTION_TC_WARPS_HD128)
ATTENTION_TC(attention_bf16_hd64, __nv_bfloat16, 64, ATTENTION_TC_WARPS)
ATTENTION_TC(attention_bf16_hd80, __nv_bfloat16, 80, ATTENTION_TC_WARPS)
ATTENTION_TC(attention_bf16_hd128, __nv_bfloat16, 128, ATTENTION_TC_WARPS_HD128)
