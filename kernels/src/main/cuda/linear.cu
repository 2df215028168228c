// y[m, n] = x[m, k] · w[n, k]^T + bias[n] (PyTorch Linear layout, clip-spec §2), row-major, fp32 accumulate.
// linear_f32: SIMT, 64x64 output tile per 256-thread block, each thread 4x4, K in steps of 16 through shared memory.
// linear_f16: tensor cores (wmma 16x16x16, fp16 inputs, fp32 accumulate), 64x64 tile per 4-warp block, each warp
// 32x32; x and w are fp16 copies, bias and y fp32. Both zero-pad edge tiles, so any m, n, k is valid.
#include <cuda_fp16.h>
#include <mma.h>

#define TILE 64
#define KSTEP 16

extern "C" __global__ void linear_f32(const float *__restrict__ x, const float *__restrict__ w,
                                      const float *__restrict__ bias, float *__restrict__ y, int m, int k, int n) {
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
            if (c < n) y[(long) r * n + c] = acc[i][j] + (bias ? bias[c] : 0.0f);
        }
    }
}

extern "C" __global__ void linear_f16(const __half *__restrict__ x, const __half *__restrict__ w,
                                      const float *__restrict__ bias, float *__restrict__ y, int m, int k, int n) {
    using namespace nvcuda;
    __shared__ __align__(32) __half xs[TILE][KSTEP + 8];
    __shared__ __align__(32) __half ws[TILE][KSTEP + 8];
    __shared__ __align__(32) float out[4][32][32 + 4];
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int wr = (warp / 2) * 32, wc = (warp % 2) * 32;
    int row0 = blockIdx.y * TILE, col0 = blockIdx.x * TILE;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);
    for (int k0 = 0; k0 < k; k0 += KSTEP) {
        for (int i = threadIdx.x; i < TILE * KSTEP; i += blockDim.x) {
            int r = i / KSTEP, t = i % KSTEP;
            int gr = row0 + r, gc = col0 + r, gt = k0 + t;
            xs[r][t] = (gr < m && gt < k) ? x[(long) gr * k + gt] : __float2half(0.0f);
            ws[r][t] = (gc < n && gt < k) ? w[(long) gc * k + gt] : __float2half(0.0f);
        }
        __syncthreads();
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> a[2];
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> b[2];
        for (int i = 0; i < 2; i++) wmma::load_matrix_sync(a[i], &xs[wr + i * 16][0], KSTEP + 8);
        for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], &ws[wc + j * 16][0], KSTEP + 8);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
        __syncthreads();
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) wmma::store_matrix_sync(&out[warp][i * 16][j * 16], acc[i][j], 32 + 4, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 32 * 32; e += 32) {
        int r = row0 + wr + e / 32, c = col0 + wc + e % 32;
        if (r < m && c < n) y[(long) r * n + c] = out[warp][e / 32][e % 32] + (bias ? bias[c] : 0.0f);
    }
}

// x16[i] = x[i] as fp16 (round to nearest), for the tensor-core path's activations.
extern "C" __global__ void to_f16(const float *__restrict__ x, __half *__restrict__ x16, long count) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < count; i += (long) gridDim.x * blockDim.x) {
        x16[i] = __float2half_rn(x[i]);
    }
}
