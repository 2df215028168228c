// Element-wise and row-wise kernels (docs/forward-pass.md#activations, softmax) and the encoders' inputs
// (docs/forward-pass.md#image-tower steps 1-3: patch unfold, class token, positional embedding; #text-tower step 1:
// token and positional embedding). Grid-stride loops: any launch size covers any count.
#include "epilogue.cuh"

// x <- x * sigmoid(1.702 x)
extern "C" __global__ void quick_gelu(float *x, long n) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) x[i] = quick_gelu_of(x[i]);
}

// x <- 0.5 x (1 + erf(x / sqrt 2)), the exact GELU
extern "C" __global__ void gelu(float *x, long n) {
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) x[i] = gelu_of(x[i]);
}

// Softmax in place over each of rows rows of length n, the row maximum subtracted; one warp per row.
extern "C" __global__ void softmax_rows(float *x, int rows, int n) {
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= rows) return;
    float *r = x + (long) row * n;
    float mx = -INFINITY;
    for (int i = lane; i < n; i += 32) mx = fmaxf(mx, r[i]);
    for (int o = 16; o > 0; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, o));
    float s = 0.0f;
    for (int i = lane; i < n; i += 32) {
        float e = expf(r[i] - mx);
        r[i] = e;
        s += e;
    }
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffff, s, o);
    float inv = 1.0f / s;
    for (int i = lane; i < n; i += 32) r[i] *= inv;
}

// pixels [batch, 3, r, r] -> patches [batch·g·g, 3·p·p], ordered (channel, ky, kx) like conv1's weight (step 1)
extern "C" __global__ void unfold_patches(const float *__restrict__ pixels, int batch, int r, int p, float *__restrict__ patches) {
    int g = r / p, k = 3 * p * p;
    long total = (long) batch * g * g * k;
    for (long e = blockIdx.x * (long) blockDim.x + threadIdx.x; e < total; e += (long) gridDim.x * blockDim.x) {
        long patch = e / k;
        int t = (int) (e % k), ch = t / (p * p), ky = (t / p) % p, kx = t % p;
        int b = (int) (patch / (g * g)), gy = (int) (patch / g % g), gx = (int) (patch % g);
        patches[e] = pixels[(((long) b * 3 + ch) * r + gy * p + ky) * r + gx * p + kx];
    }
}

// A convolution's patches (docs/forward-pass.md#resnet-image-tower): NHWC x [batch, h, w, c] -> [batch·oh·ow, k·k·c],
// each row ordered (ky, kx, channel) like the weight [out, k, k, c], zeros in the padding
extern "C" __global__ void im2col_nhwc(const float *__restrict__ x, int batch, int h, int w, int c, int kernel, int stride, int pad,
                                       int oh, int ow, float *__restrict__ patches) {
    int k = kernel * kernel * c;
    long total = (long) batch * oh * ow * k;
    for (long e = blockIdx.x * (long) blockDim.x + threadIdx.x; e < total; e += (long) gridDim.x * blockDim.x) {
        long row = e / k;
        int t = (int) (e % k), kpos = t / c, ch = t % c;
        int ox = (int) (row % ow), oy = (int) (row / ow % oh), b = (int) (row / ((long) ow * oh));
        int iy = oy * stride - pad + kpos / kernel, ix = ox * stride - pad + kpos % kernel;
        patches[e] = iy < 0 || iy >= h || ix < 0 || ix >= w ? 0.0f : x[(((long) b * h + iy) * w + ix) * c + ch];
    }
}

// Average pooling over kernel x kernel windows of stride kernel (torch AvgPool2d), NHWC: each window summed in row
// order in f32, then divided by kernel²
extern "C" __global__ void avg_pool_nhwc(const float *__restrict__ x, int batch, int h, int w, int c, int kernel, float *__restrict__ out) {
    int oh = h / kernel, ow = w / kernel;
    long total = (long) batch * oh * ow * c;
    float area = (float) (kernel * kernel);
    for (long e = blockIdx.x * (long) blockDim.x + threadIdx.x; e < total; e += (long) gridDim.x * blockDim.x) {
        int ch = (int) (e % c), ox = (int) (e / c % ow), oy = (int) (e / ((long) c * ow) % oh);
        long b = e / ((long) c * ow * oh);
        float sum = 0.0f;
        for (int ky = 0; ky < kernel; ky++)
            for (int kx = 0; kx < kernel; kx++) sum += x[((b * h + oy * kernel + ky) * w + ox * kernel + kx) * c + ch];
        out[e] = sum / area;
    }
}

// x[b, t, :] = (t == 0 ? class_embedding : emb[b·(tokens-1) + t-1, :]) + positional_embedding[t, :] (steps 2-3)
extern "C" __global__ void vision_tokens(const float *__restrict__ emb, const float *__restrict__ cls,
                                         const float *__restrict__ pos, int batch, int tokens, int width, float *__restrict__ x) {
    long total = (long) batch * tokens * width;
    for (long e = blockIdx.x * (long) blockDim.x + threadIdx.x; e < total; e += (long) gridDim.x * blockDim.x) {
        int i = (int) (e % width), t = (int) (e / width % tokens);
        long b = e / ((long) width * tokens);
        float tok = t == 0 ? cls[i] : emb[(b * (tokens - 1) + t - 1) * width + i];
        x[e] = tok + pos[(long) t * width + i];
    }
}

// x[r, :] = token_embedding[tokens[r], :] + positional_embedding[r % seq, :] for the batch·seq rows (docs/forward-pass.md#text-tower)
extern "C" __global__ void text_tokens(const int *__restrict__ tokens, const float *__restrict__ table,
                                       const float *__restrict__ pos, int rows, int seq, int width, float *__restrict__ x) {
    long total = (long) rows * width;
    for (long e = blockIdx.x * (long) blockDim.x + threadIdx.x; e < total; e += (long) gridDim.x * blockDim.x) {
        int i = (int) (e % width), r = (int) (e / width);
        x[e] = table[(long) tokens[r] * width + i] + pos[(long) (r % seq) * width + i];
    }
}
