// y[m, n] = epilogue(x[m, k] · w[n, k]^T) (PyTorch Linear layout, clip-spec §2), row-major, fp32 accumulate; the
// epilogue (epilogue.cuh) adds the bias, applies QuickGELU/GELU and adds into y for the residual connections.
// linear_f32: SIMT, 64x64 output tile per 256-thread block, each thread 4x4, K in steps of 16 through shared memory.
// linear_<t>[_x16[_y16]], t = f16 or bf16: tensor cores (wmma 16x16x16, fp32 accumulate): 128x128 output tile per
// 8-warp block, each warp 64x32 (4x2 fragments); K in steps of 32, double-buffered in shared memory with the next
// step's tiles loaded into registers while the tensor cores work on the current one. w is the 16-bit copy made at
// upload; x is fp32 (rounded to t as it is staged: the encoders' inputs, the adapters' queries) or, with _x16, the
// t activations the encoder blocks keep; y is fp32, or t with _y16.
// All kernels zero-pad edge tiles, so any m, n, k is valid; 16-byte loads are used where k allows.
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <mma.h>
#include "epilogue.cuh"

#define TILE 64
#define KSTEP 16

extern "C" __global__ void linear_f32(const float *__restrict__ x, const float *__restrict__ w,
                                      const float *__restrict__ bias, float *__restrict__ y, int m, int k, int n,
                                      int flags) {
    __shared__ float xs[KSTEP][TILE + 1];
    __shared__ float ws[KSTEP][TILE + 1];
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    int row0 = blockIdx.y * TILE, col0 = blockIdx.x * TILE;
    float acc[4][4] = {{0}};
    for (int k0 = 0; k0 < k; k0 += KSTEP) {
        for (int i = threadIdx.x; i < TILE * KSTEP; i += blockDim.x) {
            int r = i / KSTEP, t = i % KSTEP;
            int gr = row0 + r, gc = col0 + r, gt = k0 + t;
            xs[t][r] = (gr < m && gt < k) ? x[(long) gr * k + gt] : 0.0f;
            ws[t][r] = (gc < n && gt < k) ? w[(long) gc * k + gt] : 0.0f;
        }
        __syncthreads();
        for (int t = 0; t < KSTEP; t++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = xs[t][ty * 4 + i];
            for (int j = 0; j < 4; j++) b[j] = ws[t][tx * 4 + j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty * 4 + i;
        if (r >= m) continue;
        for (int j = 0; j < 4; j++) {
            int c = col0 + tx * 4 + j;
            if (c < n) epilogue_store(acc[i][j], bias, c, flags, y + (long) r * n + c);
        }
    }
}

#define TC_BM 128
#define TC_BN 128
#define TC_BK 32
#define TC_LD (TC_BK + 8)
#define TC_THREADS 256
#define TC_STAGE_LD 20

// This thread's share of the x tile (rows row0.., columns k0..): 4 groups of 4 consecutive fp32 values.
__device__ __forceinline__ void load_x(const float *__restrict__ x, int m, int k, int row0, int k0, bool vec, float4 *r) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int idx = threadIdx.x + TC_THREADS * i, row = row0 + idx / (TC_BK / 4), kk = k0 + idx % (TC_BK / 4) * 4;
        const float *p = x + (long) row * k + kk;
        if (row < m && vec && kk < k) {
            r[i] = *reinterpret_cast<const float4 *>(p);
        } else {
            bool ok = row < m;
            r[i] = make_float4(ok && kk < k ? p[0] : 0.0f, ok && kk + 1 < k ? p[1] : 0.0f,
                               ok && kk + 2 < k ? p[2] : 0.0f, ok && kk + 3 < k ? p[3] : 0.0f);
        }
    }
}

template <class T>
__device__ __forceinline__ void store_x(T (*as)[TC_LD], const float4 *r) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int idx = threadIdx.x + TC_THREADS * i, row = idx / (TC_BK / 4), kk = idx % (TC_BK / 4) * 4;
        alignas(8) T t[4] = {from_float<T>(r[i].x), from_float<T>(r[i].y), from_float<T>(r[i].z), from_float<T>(r[i].w)};
        *reinterpret_cast<uint2 *>(&as[row][kk]) = *reinterpret_cast<const uint2 *>(t);
    }
}

// This thread's share of a 16-bit tile (rows col0.. of w, or of x with _x16; columns k0..): 2 groups of 8 values.
template <class T>
__device__ __forceinline__ void load_w(const T *__restrict__ w, int n, int k, int col0, int k0, bool vec, uint4 *r) {
#pragma unroll
    for (int i = 0; i < 2; i++) {
        int idx = threadIdx.x + TC_THREADS * i, c = col0 + idx / (TC_BK / 8), kk = k0 + idx % (TC_BK / 8) * 8;
        const T *p = w + (long) c * k + kk;
        if (c < n && vec && kk < k) {
            r[i] = *reinterpret_cast<const uint4 *>(p);
        } else {
            alignas(16) T t[8];
            for (int e = 0; e < 8; e++) t[e] = c < n && kk + e < k ? p[e] : from_float<T>(0.0f);
            r[i] = *reinterpret_cast<const uint4 *>(t);
        }
    }
}

template <class T>
__device__ __forceinline__ void store_w(T (*bs)[TC_LD], const uint4 *r) {
#pragma unroll
    for (int i = 0; i < 2; i++) {
        int idx = threadIdx.x + TC_THREADS * i;
        *reinterpret_cast<uint4 *>(&bs[idx / (TC_BK / 8)][idx % (TC_BK / 8) * 8]) = r[i];
    }
}

// x tile staging: fp32 rounded to T on the way, or 16-bit copied as is
template <class T>
__device__ __forceinline__ void load_a(const float *__restrict__ x, int m, int k, int row0, int k0, float4 *xr, uint4 *) {
    load_x(x, m, k, row0, k0, k % 4 == 0, xr);
}
template <class T>
__device__ __forceinline__ void load_a(const T *__restrict__ x, int m, int k, int row0, int k0, float4 *, uint4 *hr) {
    load_w(x, m, k, row0, k0, k % 8 == 0, hr);
}
template <class T, class TX>
__device__ __forceinline__ void store_a(T (*as)[TC_LD], const float4 *xr, const uint4 *hr) {
    if constexpr (sizeof(TX) == 4) store_x(as, xr);
    else store_w(as, hr);
}

template <class T, class TX, class TY>
__device__ void linear_tc(const TX *__restrict__ x, const T *__restrict__ w, const float *__restrict__ bias,
                          TY *__restrict__ y, int m, int k, int n, int flags) {
    using namespace nvcuda;
    // two buffers of the x tile, then two of the w tile; the epilogue's per-warp staging reuses the start
    __shared__ __align__(128) unsigned char smem[2 * (TC_BM + TC_BN) * TC_LD * sizeof(T)];
    T(*as)[TC_BM][TC_LD] = reinterpret_cast<T(*)[TC_BM][TC_LD]>(smem);
    T(*bs)[TC_BN][TC_LD] = reinterpret_cast<T(*)[TC_BN][TC_LD]>(smem + 2 * TC_BM * TC_LD * sizeof(T));
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int wm = warp / 4 * 64, wn = warp % 4 * 32;
    int row0 = blockIdx.y * TC_BM, col0 = blockIdx.x * TC_BN;
    bool wvec = k % 8 == 0;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);
    float4 xr[4];  // the x tile in flight: fp32 (xr) or 16-bit (hr)
    uint4 hr[2], wr[2];
    load_a<T>(x, m, k, row0, 0, xr, hr);
    load_w(w, n, k, col0, 0, wvec, wr);
    store_a<T, TX>(as[0], xr, hr);
    store_w(bs[0], wr);
    __syncthreads();
    int steps = (k + TC_BK - 1) / TC_BK;
    for (int s = 0; s < steps; s++) {
        int buf = s & 1;
        bool next = s + 1 < steps;
        if (next) {
            load_a<T>(x, m, k, row0, (s + 1) * TC_BK, xr, hr);
            load_w(w, n, k, col0, (s + 1) * TC_BK, wvec, wr);
        }
#pragma unroll
        for (int kk = 0; kk < TC_BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a[4];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b[2];
#pragma unroll
            for (int i = 0; i < 4; i++) wmma::load_matrix_sync(a[i], &as[buf][wm + i * 16][kk], TC_LD);
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], &bs[buf][wn + j * 16][kk], TC_LD);
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
        }
        if (next) {
            store_a<T, TX>(as[buf ^ 1], xr, hr);
            store_w(bs[buf ^ 1], wr);
        }
        __syncthreads();
    }
    float *stage = reinterpret_cast<float *>(smem) + warp * 16 * TC_STAGE_LD;
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::store_matrix_sync(stage, acc[i][j], TC_STAGE_LD, wmma::mem_row_major);
            __syncwarp();
            for (int e = lane; e < 256; e += 32) {
                int r = row0 + wm + i * 16 + e / 16, c = col0 + wn + j * 16 + e % 16;
                if (r < m && c < n) epilogue_store(stage[e / 16 * TC_STAGE_LD + e % 16], bias, c, flags, y + (long) r * n + c);
            }
            __syncwarp();
        }
    }
}

// Entry points: t = f16 | bf16; _x16: x is t; _y16: y is t. __launch_bounds__ asks for two blocks per SM (128
// registers a thread) where ptxas fits it without spills (sm_90), one elsewhere.
#define LINEAR_TC(name, T, TX, TY, MIN_BLOCKS)                                                                           \
    extern "C" __global__ void __launch_bounds__(TC_THREADS, MIN_BLOCKS)                                               \
        name(const TX *x, const T *w, const float *bias, TY *y, int m, int k, int n, int flags) {                     \
        linear_tc<T, TX, TY>(x, w, bias, y, m, k, n, flags);                                                           \
    }
LINEAR_TC(linear_f16, __half, float, float, 2)
LINEAR_TC(linear_f16_x16, __half, __half, float, 2)
LINEAR_TC(linear_f16_x16_y16, __half, __half, __half, 2)
LINEAR_TC(linear_bf16, __nv_bfloat16, float, float, 1)
LINEAR_TC(linear_bf16_x16, __nv_bfloat16, __nv_bfloat16, float, 2)
LINEAR_TC(linear_bf16_x16_y16, __nv_bfloat16, __nv_bfloat16, __nv_bfloat16, 2)
