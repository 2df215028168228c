// y[m, n] = epilogue(x[m, k] · w[n, k]^T) (PyTorch Linear layout, docs/forward-pass.md#building-blocks), row-major, fp32 accumulate; the
// epilogue (epilogue.cuh) adds the bias, applies QuickGELU/GELU and adds into y for the residual connections.
// linear_f32: SIMT, 128x128 output tile per 256-thread block, each thread 8x8, K in steps of 8, double-buffered.
// linear_<t>[_x16[_y16]], t = f16 or bf16: tensor cores (wmma 16x16x16, fp32 accumulate): 128x128 output tile per
// 8-warp block, each warp 64x32 (4x2 fragments), K in steps of 32 through shared memory. w is the 16-bit copy made
// at upload. linear_<t>: x is fp32 (the encoders' inputs, the adapters' queries), rounded to t as it is staged; two
// shared-memory buffers, the next step's tiles loaded into registers while the tensor cores work on the current one.
// _x16: x is the t activations the encoder blocks keep; three stages in flight with cp.async (61 440 bytes of dynamic
// shared memory). _y16: y is t too.
// All kernels zero-pad edge tiles, so any m, n, k is valid; 16-byte loads are used where k allows.
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <mma.h>
#include <cuda_pipeline.h>
#include "epilogue.cuh"

#define F32_TILE LINEAR_F32_TILE
#define F32_BK 8
#define F32_LD (F32_TILE + 4)

// This thread's float4 of a [rows, k] fp32 matrix's tile (rows r0.., columns k0..): row idx / 2, columns (idx % 2)·4.
__device__ __forceinline__ float4 load_f32(const float *__restrict__ a, int rows, int k, int r0, int k0) {
    int r = r0 + threadIdx.x / 2, kk = k0 + threadIdx.x % 2 * 4;
    const float *p = a + (long) r * k + kk;
    if (r < rows && k % 4 == 0 && kk < k) return *reinterpret_cast<const float4 *>(p);
    bool ok = r < rows;
    return make_float4(ok && kk < k ? p[0] : 0.0f, ok && kk + 1 < k ? p[1] : 0.0f, ok && kk + 2 < k ? p[2] : 0.0f,
                       ok && kk + 3 < k ? p[3] : 0.0f);
}

// ... stored k-major (transposed) so the compute loop reads rows of 4 outputs' operands as broadcasts
__device__ __forceinline__ void store_f32(float (*s)[F32_LD], float4 v) {
    int r = threadIdx.x / 2, kk = threadIdx.x % 2 * 4;
    s[kk][r] = v.x;
    s[kk + 1][r] = v.y;
    s[kk + 2][r] = v.z;
    s[kk + 3][r] = v.w;
}

// linear_f32: SIMT, 128x128 output tile per 256-thread block, each thread 8x8 (rows ty·4 and 64 + ty·4, columns
// tx·4 and 64 + tx·4, so a warp's shared-memory reads are broadcasts or consecutive); K in steps of 8,
// double-buffered with the next step loaded into registers during the current one.
extern "C" __global__ void __launch_bounds__(LINEAR_F32_THREADS) linear_f32(const float *__restrict__ x, const float *__restrict__ w,
                                                             const float *__restrict__ bias, float *__restrict__ y,
                                                             int m, int k, int n, int flags) {
    __shared__ __align__(16) float xs[2][F32_BK][F32_LD];
    __shared__ __align__(16) float ws[2][F32_BK][F32_LD];
    int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    int row0 = blockIdx.y * F32_TILE, col0 = blockIdx.x * F32_TILE;
    float acc[8][8] = {{0}};
    float4 xr = load_f32(x, m, k, row0, 0), wr = load_f32(w, n, k, col0, 0);
    store_f32(xs[0], xr);
    store_f32(ws[0], wr);
    __syncthreads();
    int steps = (k + F32_BK - 1) / F32_BK;
    for (int s = 0; s < steps; s++) {
        int buf = s & 1;
        bool next = s + 1 < steps;
        if (next) {
            xr = load_f32(x, m, k, row0, (s + 1) * F32_BK);
            wr = load_f32(w, n, k, col0, (s + 1) * F32_BK);
        }
#pragma unroll
        for (int t = 0; t < F32_BK; t++) {
            float4 a0 = *reinterpret_cast<const float4 *>(&xs[buf][t][ty * 4]);
            float4 a1 = *reinterpret_cast<const float4 *>(&xs[buf][t][64 + ty * 4]);
            float4 b0 = *reinterpret_cast<const float4 *>(&ws[buf][t][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4 *>(&ws[buf][t][64 + tx * 4]);
            float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (next) {
            store_f32(xs[buf ^ 1], xr);
            store_f32(ws[buf ^ 1], wr);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 8; i++) {
        int r = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (r >= m) continue;
#pragma unroll
        for (int j = 0; j < 8; j++) {
            int c = col0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
            if (c < n) epilogue_store(acc[i][j], bias, c, flags, y + (long) r * n + c);
        }
    }
}

#define TC_BM LINEAR_TC_TILE
#define TC_BN LINEAR_TC_TILE
#define TC_BK LINEAR_TC_BK
#define TC_LD (TC_BK + 8)
#define TC_THREADS LINEAR_TC_THREADS
#define TC_STAGE_LD 20
#define TC_STAGES LINEAR_TC_STAGES
#define TC_STAGE_BYTES ((TC_BM + TC_BN) * TC_LD * 2)
static_assert(TC_STAGES * TC_STAGE_BYTES == LINEAR_TC16_SHARED, "launch.h: LINEAR_TC16_SHARED is the _x16 kernels' ring");

// extern shared memory (the emulation, which cannot declare it, hands out a per-block buffer)
#ifdef CLIP4J_EMULATION
#define DYNAMIC_SHARED(name) unsigned char *name = emu::dynamicShared()
#else
#define DYNAMIC_SHARED(name) extern __shared__ __align__(128) unsigned char name[]
#endif

// This thread's share of the fp32 x tile (rows row0.., columns k0..): 4 groups of 4 consecutive values.
__device__ __forceinline__ void load_x(const float *__restrict__ x, int m, int k, int row0, int k0, float4 *r) {
    bool vec = k % 4 == 0;
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

// This thread's share of a 16-bit tile (rows r0.. of a [rows, k] matrix, columns k0..): 2 groups of 8 values.
template <class T>
__device__ __forceinline__ void load_16(const T *__restrict__ w, int rows, int k, int r0, int k0, uint4 *r) {
    bool vec = k % 8 == 0;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        int idx = threadIdx.x + TC_THREADS * i, c = r0 + idx / (TC_BK / 8), kk = k0 + idx % (TC_BK / 8) * 8;
        const T *p = w + (long) c * k + kk;
        if (c < rows && vec && kk < k) {
            r[i] = *reinterpret_cast<const uint4 *>(p);
        } else {
            alignas(16) T t[8];
            for (int e = 0; e < 8; e++) t[e] = c < rows && kk + e < k ? p[e] : from_float<T>(0.0f);
            r[i] = *reinterpret_cast<const uint4 *>(t);
        }
    }
}

template <class T>
__device__ __forceinline__ void store_16(T (*bs)[TC_LD], const uint4 *r) {
#pragma unroll
    for (int i = 0; i < 2; i++) {
        int idx = threadIdx.x + TC_THREADS * i;
        *reinterpret_cast<uint4 *>(&bs[idx / (TC_BK / 8)][idx % (TC_BK / 8) * 8]) = r[i];
    }
}

// The same share copied straight into shared memory: cp.async when rows are 16-byte aligned (k % 8 == 0; zero fill
// past the edges), else plain loads and stores (visible after the next barrier like the rest).
template <class T>
__device__ __forceinline__ void copy_16(T (*dst)[TC_LD], const T *__restrict__ src, int rows, int k, int r0, int k0) {
#pragma unroll
    for (int i = 0; i < 2; i++) {
        int idx = threadIdx.x + TC_THREADS * i, r = idx / (TC_BK / 8), kk = idx % (TC_BK / 8) * 8;
        int gr = r0 + r, gk = k0 + kk;
        if (k % 8 == 0) {
            bool ok = gr < rows && gk < k;
            __pipeline_memcpy_async(&dst[r][kk], ok ? src + (long) gr * k + gk : src, 16, ok ? 0 : 16);
        } else {
            for (int e = 0; e < 8; e++) dst[r][kk + e] = gr < rows && gk + e < k ? src[(long) gr * k + gk + e] : from_float<T>(0.0f);
        }
    }
}

// acc += the warp's 64x32 share of as[wm.., :] · bs[wn.., :]^T over one K step
template <class T>
__device__ __forceinline__ void mma_step(T (*as)[TC_LD], T (*bs)[TC_LD], int wm, int wn,
                                         nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 16, float> (&acc)[4][2]) {
    using namespace nvcuda;
#pragma unroll
    for (int kk = 0; kk < TC_BK; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a[4];
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b[2];
#pragma unroll
        for (int i = 0; i < 4; i++) wmma::load_matrix_sync(a[i], &as[wm + i * 16][kk], TC_LD);
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], &bs[wn + j * 16][kk], TC_LD);
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
}

// The warp's accumulators through its 16x16 staging area in smem (no longer needed for tiles), then the epilogue.
template <class TY>
__device__ __forceinline__ void store_tile(nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 16, float> (&acc)[4][2],
                                           unsigned char *smem, int row0, int col0, int wm, int wn, int m, int n,
                                           const float *__restrict__ bias, int flags, TY *__restrict__ y) {
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    float *stage = reinterpret_cast<float *>(smem) + warp * 16 * TC_STAGE_LD;
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            nvcuda::wmma::store_matrix_sync(stage, acc[i][j], TC_STAGE_LD, nvcuda::wmma::mem_row_major);
            __syncwarp();
            for (int e = lane; e < 256; e += 32) {
                int r = row0 + wm + i * 16 + e / 16, c = col0 + wn + j * 16 + e % 16;
                if (r < m && c < n) epilogue_store(stage[e / 16 * TC_STAGE_LD + e % 16], bias, c, flags, y + (long) r * n + c);
            }
            __syncwarp();
        }
    }
}

// fp32 x: two buffers, the next step's tiles staged through registers (where x is rounded to T)
template <class T, class TY>
__device__ void linear_tc(const float *__restrict__ x, const T *__restrict__ w, const float *__restrict__ bias,
                          TY *__restrict__ y, int m, int k, int n, int flags) {
    using namespace nvcuda;
    __shared__ __align__(128) unsigned char smem[2 * TC_STAGE_BYTES];
    T(*as)[TC_BM][TC_LD] = reinterpret_cast<T(*)[TC_BM][TC_LD]>(smem);
    T(*bs)[TC_BN][TC_LD] = reinterpret_cast<T(*)[TC_BN][TC_LD]>(smem + 2 * TC_BM * TC_LD * sizeof(T));
    int warp = threadIdx.x / 32, wm = warp / 4 * 64, wn = warp % 4 * 32;
    int row0 = blockIdx.y * TC_BM, col0 = blockIdx.x * TC_BN;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);
    float4 xr[4];
    uint4 wr[2];
    load_x(x, m, k, row0, 0, xr);
    load_16(w, n, k, col0, 0, wr);
    store_x(as[0], xr);
    store_16(bs[0], wr);
    __syncthreads();
    int steps = (k + TC_BK - 1) / TC_BK;
    for (int s = 0; s < steps; s++) {
        int buf = s & 1;
        bool next = s + 1 < steps;
        if (next) {
            load_x(x, m, k, row0, (s + 1) * TC_BK, xr);
            load_16(w, n, k, col0, (s + 1) * TC_BK, wr);
        }
        mma_step(as[buf], bs[buf], wm, wn, acc);
        if (next) {
            store_x(as[buf ^ 1], xr);
            store_16(bs[buf ^ 1], wr);
        }
        __syncthreads();
    }
    store_tile(acc, smem, row0, col0, wm, wn, m, n, bias, flags, y);
}

// 16-bit x: TC_STAGES steps in flight with cp.async; step s waits only for its own copies
template <class T, class TY>
__device__ void linear_tc16(const T *__restrict__ x, const T *__restrict__ w, const float *__restrict__ bias,
                            TY *__restrict__ y, int m, int k, int n, int flags) {
    using namespace nvcuda;
    DYNAMIC_SHARED(smem);
    int warp = threadIdx.x / 32, wm = warp / 4 * 64, wn = warp % 4 * 32;
    int row0 = blockIdx.y * TC_BM, col0 = blockIdx.x * TC_BN;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);
    int steps = (k + TC_BK - 1) / TC_BK;
    for (int s = 0; s < TC_STAGES - 1; s++) {
        if (s < steps) {
            copy_16(reinterpret_cast<T(*)[TC_LD]>(smem + s * TC_STAGE_BYTES), x, m, k, row0, s * TC_BK);
            copy_16(reinterpret_cast<T(*)[TC_LD]>(smem + s * TC_STAGE_BYTES + TC_BM * TC_LD * sizeof(T)), w, n, k, col0, s * TC_BK);
        }
        __pipeline_commit();
    }
    for (int s = 0; s < steps; s++) {
        __pipeline_wait_prior(TC_STAGES - 2);
        __syncthreads();  // step s is in; every warp is done with step s - 1, whose buffer is refilled next
        int fill = s + TC_STAGES - 1;
        if (fill < steps) {
            unsigned char *st = smem + fill % TC_STAGES * TC_STAGE_BYTES;
            copy_16(reinterpret_cast<T(*)[TC_LD]>(st), x, m, k, row0, fill * TC_BK);
            copy_16(reinterpret_cast<T(*)[TC_LD]>(st + TC_BM * TC_LD * sizeof(T)), w, n, k, col0, fill * TC_BK);
        }
        __pipeline_commit();
        unsigned char *cur = smem + s % TC_STAGES * TC_STAGE_BYTES;
        mma_step(reinterpret_cast<T(*)[TC_LD]>(cur), reinterpret_cast<T(*)[TC_LD]>(cur + TC_BM * TC_LD * sizeof(T)), wm, wn, acc);
    }
    __pipeline_wait_prior(0);
    __syncthreads();
    store_tile(acc, smem, row0, col0, wm, wn, m, n, bias, flags, y);
}

// Entry points: t = f16 | bf16; _x16: x is t; _y16: y is t. __launch_bounds__ asks for two blocks per SM (128
// registers a thread) where ptxas fits it without spills (sm_90), one elsewhere.
#define LINEAR_TC(name, T, TY, MIN_BLOCKS)                                                                             \
    extern "C" __global__ void __launch_bounds__(TC_THREADS, MIN_BLOCKS)                                               \
        name(const float *x, const T *w, const float *bias, TY *y, int m, int k, int n, int flags) {                  \
        linear_tc<T, TY>(x, w, bias, y, m, k, n, flags);                                                               \
    }
#define LINEAR_TC16(name, T, TY, MIN_BLOCKS)                                                                           \
    extern "C" __global__ void __launch_bounds__(TC_THREADS, MIN_BLOCKS)                                               \
        name(const T *x, const T *w, const float *bias, TY *y, int m, int k, int n, int flags) {                      \
        linear_tc16<T, TY>(x, w, bias, y, m, k, n, flags);                                                             \
    }
LINEAR_TC(linear_f16, __half, float, 2)
LINEAR_TC16(linear_f16_x16, __half, float, 2)
LINEAR_TC16(linear_f16_x16_y16, __half, __half, 2)
LINEAR_TC(linear_bf16, __nv_bfloat16, float, 1)
LINEAR_TC16(linear_bf16_x16, __nv_bfloat16, float, 2)
LINEAR_TC16(linear_bf16_x16_y16, __nv_bfloat16, __nv_bfloat16, 2)
