/*
 * OpenBLAS sgemm on the ViT-B/32 linear shapes, for comparison with clip4j's LinearBench on the same machine:
 * C[M,N] = A[M,K] · B[N,K]^T (PyTorch Linear layout), fp32, best-of-rounds and median GFLOP/s.
 * Built and run by bench/compare/gemm.sh (links Debian's libopenblas0-pthread; OPENBLAS_NUM_THREADS sets threads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *) x, b = *(const double *) y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    static const int shapes[][3] = {{50, 768, 2304}, {50, 768, 768}, {50, 768, 3072}, {50, 3072, 768},
                                    {400, 768, 2304}, {400, 768, 768}, {400, 768, 3072}, {400, 3072, 768}};
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k), *c = malloc(sizeof(float) * m * n);
        for (long i = 0; i < (long) m * k; i++) a[i] = (float) ((i * 7919) % 1000) / 1000.0f - 0.5f;
        for (long i = 0; i < (long) n * k; i++) b[i] = (float) ((i * 104729) % 1000) / 1000.0f - 0.5f;
        double times[4096];
        int runs = 0;
        double start = now();
        while ((now() - start < seconds || runs < 5) && runs < 4096) {
            double t0 = now();
            cblas_sgemm(RowMajor, NoTrans, Trans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
            times[runs++] = now() - t0;
        }
        qsort(times, runs, sizeof times[0], cmp);
        double flop = 2.0 * m * k * n;
        printf("openblas sgemm %dx%dx%d: median %.1f GFLOP/s, best %.1f GFLOP/s (%d runs)\n", m, k, n,
               flop / times[runs / 2] / 1e9, flop / times[0] / 1e9, runs);
        free(a);
        free(b);
        free(c);
    }
    return 0;
}
