// Multi-head self-attention core (clip-spec §2, Backend.attention): qkv is [batch·seq, 3·width] (Q | K | V), out is
// [batch·seq, width]; head h owns columns h·HD .. h·HD+HD; scores scaled by 1/sqrt(HD); causal masks keys after the
// query. Flash-style: one block per (sequence·head, tile of 64 queries), one thread per query holding its q and
// output row in registers (HD a compile-time constant, so the arrays stay in registers), keys and values streamed
// through shared memory 32 at a time with an online softmax, so any sequence length fits. Entry points per head
// width: 64 (every OpenAI CLIP), 80 (ViT-H/14), 128.
#define QT 64
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
