// Runs every kernel of kernels/src/main/cuda under the CPU emulation (emu/cuda_emu.h) against a plain double-precision
// reference, on odd shapes and CLIP shapes, with the launch geometry of Launches.java. One line per case:
// "PASS|FAIL <entry> <case> max err <e> (limit <l>)"; exit status 1 when any case fails. build.sh builds it and
// KernelEmulationTest runs it.
#include "kernels.h"
#include "launch.h"

#include <random>
#include <string>

static int failures = 0;
static std::mt19937 rng(7);

static std::vector<float> randoms(size_t n, float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto &x : v) x = d(rng);
    return v;
}

static void report(const char *entry, const std::string &name, const std::vector<float> &got, const std::vector<double> &want,
                   double limit) {
    double worst = 0;
    for (size_t i = 0; i < want.size(); i++) {
        double e = std::fabs(got[i] - want[i]);
        if (!(e <= worst)) worst = e;  // NaN counts as the worst
    }
    bool ok = worst <= limit && got.size() >= want.size();
    if (!ok) failures++;
    std::printf("%s %s %s max err %.3g (limit %.3g)\n", ok ? "PASS" : "FAIL", entry, name.c_str(), worst, limit);
}

static dim3 grid(unsigned x, unsigned y = 1) { return dim3{x, y, 1}; }
static unsigned ceilDiv(long a, long b) { return (unsigned) ((a + b - 1) / b); }
static double quickGelu(double v) { return v / (1 + std::exp(-1.702 * v)); }
static double geluExact(double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }

// epilogue flags of epilogue.cuh
static double epilogue(double acc, const float *bias, int c, int flags, double old) {
    double v = acc + (bias ? bias[c] : 0.0);
    if ((flags & 3) == 1) v = quickGelu(v);
    if ((flags & 3) == 2) v = geluExact(v);
    v = (flags & 4) ? old + v : v;
    return (flags & 8) && v < 0 ? 0 : v;
}

// float -> T -> float: the value a kernel holds after rounding to its 16-bit type (identity for float)
template <class T>
static float roundTo(float v) {
    if constexpr (std::is_same<T, __half>::value) return __half2float(__float2half_rn(v));
    else if constexpr (std::is_same<T, __nv_bfloat16>::value) return __bfloat162float(__float2bfloat16_rn(v));
    else return v;
}
template <class T>
static T store(float v) {
    if constexpr (std::is_same<T, __half>::value) return __float2half_rn(v);
    else if constexpr (std::is_same<T, __nv_bfloat16>::value) return __float2bfloat16_rn(v);
    else return v;
}
// the relative rounding step of T (0 for float)
template <class T>
static double ulp() { return std::is_same<T, __half>::value ? 1.0 / 1024 : std::is_same<T, __nv_bfloat16>::value ? 1.0 / 128 : 0.0; }

static double maxAbs(const std::vector<double> &v) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
}

// y = epilogue(x · w^T): w in TW; x in TX (fp32 x is rounded to TW as the tensor-core kernels stage it); y in TY
template <class TW, class TX, class TY>
static void linearCase(const char *entry, void (*kernel)(const TX *, const TW *, const float *, TY *, int, int, int, int), int tile,
                       int m, int k, int n, int flags, bool withBias) {
    size_t shared = std::is_same<TX, float>::value ? 0 : LINEAR_TC16_SHARED;  // the _x16 kernels' dynamic shared memory
    auto xf = randoms((size_t) m * k), wf = randoms((size_t) n * k, 1.0f / std::sqrt((float) k)), b = randoms(n), y0f = randoms((size_t) m * n);
    std::vector<TX> x(xf.size());
    std::vector<TW> w(wf.size());
    std::vector<TY> y(y0f.size());
    std::vector<float> xr(xf.size()), wr(wf.size());  // the values the kernel multiplies
    for (size_t i = 0; i < xf.size(); i++) { x[i] = store<TX>(xf[i]); xr[i] = roundTo<TW>(roundTo<TX>(xf[i])); }
    for (size_t i = 0; i < wf.size(); i++) { w[i] = store<TW>(wf[i]); wr[i] = roundTo<TW>(wf[i]); }
    for (size_t i = 0; i < y0f.size(); i++) y[i] = store<TY>(y0f[i]);
    std::vector<double> want((size_t) m * n);
    for (int r = 0; r < m; r++)
        for (int c = 0; c < n; c++) {
            double s = 0;
            for (int t = 0; t < k; t++) s += (double) xr[(size_t) r * k + t] * wr[(size_t) c * k + t];
            want[(size_t) r * n + c] = epilogue(s, withBias ? b.data() : nullptr, c, flags, roundTo<TY>(y0f[(size_t) r * n + c]));
        }
    const float *bp = withBias ? b.data() : nullptr;
    int threads = std::is_same<TW, float>::value ? LINEAR_F32_THREADS : LINEAR_TC_THREADS;  // linear_f32 is the fp32-weight kernel
    emu::launch(grid(ceilDiv(n, tile), ceilDiv(m, tile)), grid(threads), [&] { kernel(x.data(), w.data(), bp, y.data(), m, k, n, flags); }, shared);
    std::vector<float> got(y.size());
    for (size_t i = 0; i < y.size(); i++) got[i] = emuToFloat(y[i]);
    char name[96];
    std::snprintf(name, sizeof name, "%dx%dx%d flags %d%s", m, k, n, flags, withBias ? "" : " no bias");
    report(entry, name, got, want, 2e-5 * std::sqrt((double) k) + 1e-5 + ulp<TY>() * maxAbs(want));
}

template <class TY>
static void layerNormCase(const char *entry, void (*kernel)(const float *, int, int, const float *, const float *, float, TY *, const int *),
                          int rows, int cols, bool gather) {
    auto x = randoms((size_t) rows * cols, 3.0f), g = randoms(cols), b = randoms(cols);
    for (auto &v : x) v += 2.0f;
    std::vector<int> index;
    for (int r = rows - 1; r >= 0; r -= 2) index.push_back(r);
    int outRows = gather ? (int) index.size() : rows;
    std::vector<double> want((size_t) outRows * cols);
    for (int r = 0; r < outRows; r++) {
        const float *xr = &x[(size_t) (gather ? index[r] : r) * cols];
        double mean = 0, var = 0;
        for (int c = 0; c < cols; c++) mean += xr[c];
        mean /= cols;
        for (int c = 0; c < cols; c++) var += (xr[c] - mean) * (xr[c] - mean);
        var /= cols;
        for (int c = 0; c < cols; c++) want[(size_t) r * cols + c] = (xr[c] - mean) / std::sqrt(var + 1e-5) * g[c] + b[c];
    }
    std::vector<TY> out((size_t) (gather ? outRows : rows) * cols);
    bool inPlace = !gather && std::is_same<TY, float>::value;
    if (inPlace) std::memcpy(out.data(), x.data(), x.size() * sizeof(float));
    const float *src = inPlace ? reinterpret_cast<const float *>(out.data()) : x.data();
    emu::launch(grid(ceilDiv(outRows, ROW_THREADS / 32)), grid(ROW_THREADS), [&] { kernel(src, outRows, cols, g.data(), b.data(), 1e-5f, out.data(), gather ? index.data() : nullptr); });
    std::vector<float> got(out.size());
    for (size_t i = 0; i < out.size(); i++) got[i] = emuToFloat(out[i]);
    report(entry, std::to_string(rows) + "x" + std::to_string(cols) + (gather ? " gathered rows" : inPlace ? " in place" : ""), got, want,
           2e-5 + ulp<TY>() * maxAbs(want));
}

template <class T>
static void attentionCase(const char *entry, void (*kernel)(const T *, int, int, int, int, T *), int queriesPerBlock, int hd, int batch,
                          int seq, int heads, bool causal) {
    int width = hd * heads;
    auto qkv = randoms((size_t) batch * seq * 3 * width);
    for (auto &v : qkv) v = roundTo<T>(v);
    std::vector<double> want((size_t) batch * seq * width);
    for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < seq; i++) {
                int keys = causal ? i + 1 : seq;
                std::vector<double> s(keys);
                double mx = -1e300, sum = 0;
                for (int j = 0; j < keys; j++) {
                    double d = 0;
                    for (int t = 0; t < hd; t++) d += (double) qkv[((size_t) b * seq + i) * 3 * width + h * hd + t] * qkv[((size_t) b * seq + j) * 3 * width + width + h * hd + t];
                    s[j] = d / std::sqrt((double) hd);
                    mx = std::max(mx, s[j]);
                }
                for (int j = 0; j < keys; j++) sum += s[j] = std::exp(s[j] - mx);
                for (int t = 0; t < hd; t++) {
                    double o = 0;
                    for (int j = 0; j < keys; j++) o += s[j] / sum * qkv[((size_t) b * seq + j) * 3 * width + 2 * width + h * hd + t];
                    want[((size_t) b * seq + i) * width + h * hd + t] = o;
                }
            }
    std::vector<T> in(qkv.size()), out(want.size());
    for (size_t i = 0; i < qkv.size(); i++) in[i] = store<T>(qkv[i]);
    unsigned threads = std::is_same<T, float>::value ? queriesPerBlock : queriesPerBlock / ATTENTION_TC_WARP_QUERIES * 32;  // fp32: a thread per query; else a warp per 16
    emu::launch(grid(batch * heads, ceilDiv(seq, queriesPerBlock)), grid(threads), [&] { kernel(in.data(), seq, width, heads, causal ? 1 : 0, out.data()); });
    std::vector<float> got(out.size());
    for (size_t i = 0; i < out.size(); i++) got[i] = emuToFloat(out[i]);
    char name[64];
    std::snprintf(name, sizeof name, "batch %d seq %d heads %d%s", batch, seq, heads, causal ? " causal" : "");
    // 16-bit: the probabilities and the output are rounded to T
    report(entry, name, got, want, std::is_same<T, float>::value ? 1e-5 : 3 * ulp<T>());
}

static void elementwiseCases() {
    long n = 1000;
    auto x = randoms(n, 3.0f);
    std::vector<double> wq(n), wg(n);
    for (long i = 0; i < n; i++) { wq[i] = quickGelu(x[i]); wg[i] = geluExact(x[i]); }
    std::vector<float> a = x, b = x;
    emu::launch(grid(3), grid(ELEMENT_THREADS), [&] { quick_gelu(a.data(), n); });  // 3 blocks: the grid-stride loop wraps
    report("quick_gelu", "n 1000, 3 blocks", a, wq, 1e-5);
    emu::launch(grid(3), grid(ELEMENT_THREADS), [&] { gelu(b.data(), n); });
    report("gelu", "n 1000, 3 blocks", b, wg, 1e-5);

    int rows = 11, len = 77;
    auto s = randoms((size_t) rows * len, 4.0f);
    std::vector<double> ws(s.size());
    for (int r = 0; r < rows; r++) {
        double mx = -1e300, sum = 0;
        for (int i = 0; i < len; i++) mx = std::max(mx, (double) s[r * len + i]);
        for (int i = 0; i < len; i++) sum += std::exp(s[r * len + i] - mx);
        for (int i = 0; i < len; i++) ws[r * len + i] = std::exp(s[r * len + i] - mx) / sum;
    }
    emu::launch(grid(ceilDiv(rows, ROW_THREADS / 32)), grid(ROW_THREADS), [&] { softmax_rows(s.data(), rows, len); });
    report("softmax_rows", "11 rows of 77", s, ws, 1e-6);

    int batch = 2, r = 12, p = 4, g = r / p, k = 3 * p * p;
    auto px = randoms((size_t) batch * 3 * r * r);
    std::vector<double> wp((size_t) batch * g * g * k);
    for (int bb = 0; bb < batch; bb++)
        for (int gy = 0; gy < g; gy++)
            for (int gx = 0; gx < g; gx++)
                for (int ch = 0; ch < 3; ch++)
                    for (int ky = 0; ky < p; ky++)
                        for (int kx = 0; kx < p; kx++)
                            wp[(((size_t) bb * g + gy) * g + gx) * k + (ch * p + ky) * p + kx] = px[(((size_t) bb * 3 + ch) * r + gy * p + ky) * r + gx * p + kx];
    std::vector<float> patches(wp.size());
    emu::launch(grid(2), grid(ELEMENT_THREADS), [&] { unfold_patches(px.data(), batch, r, p, patches.data()); });
    report("unfold_patches", "2 images 12x12, patch 4", patches, wp, 0);

    // a ResNet's convolution patches (3x3, stride 2, padding 1, odd sizes: edges in the padding) and 2x2 average pool
    int ih = 9, iw = 7, ic = 5, kk = 3, st = 2, pd = 1, oh = (ih + 2 * pd - kk) / st + 1, ow = (iw + 2 * pd - kk) / st + 1, kc = kk * kk * ic;
    auto xi = randoms((size_t) batch * ih * iw * ic);
    std::vector<double> wi((size_t) batch * oh * ow * kc);
    for (int bb = 0; bb < batch; bb++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int ky = 0; ky < kk; ky++)
                    for (int kx = 0; kx < kk; kx++)
                        for (int ch = 0; ch < ic; ch++) {
                            int iy = oy * st - pd + ky, ix = ox * st - pd + kx;
                            wi[(((size_t) bb * oh + oy) * ow + ox) * kc + (ky * kk + kx) * ic + ch] =
                                iy < 0 || iy >= ih || ix < 0 || ix >= iw ? 0.0 : xi[(((size_t) bb * ih + iy) * iw + ix) * ic + ch];
                        }
    std::vector<float> pi(wi.size());
    emu::launch(grid(2), grid(ELEMENT_THREADS), [&] { im2col_nhwc(xi.data(), batch, ih, iw, ic, kk, st, pd, oh, ow, pi.data()); });
    report("im2col_nhwc", "2 images 9x7x5, 3x3 stride 2 pad 1", pi, wi, 0);
    int ph = ih / 2, pw = iw / 2;
    std::vector<double> wa((size_t) batch * ph * pw * ic);
    for (int bb = 0; bb < batch; bb++)
        for (int oy = 0; oy < ph; oy++)
            for (int ox = 0; ox < pw; ox++)
                for (int ch = 0; ch < ic; ch++) {
                    float sum = 0.0f;  // f32, in row order, as the kernel
                    for (int ky = 0; ky < 2; ky++)
                        for (int kx = 0; kx < 2; kx++) sum += xi[(((size_t) bb * ih + oy * 2 + ky) * iw + ox * 2 + kx) * ic + ch];
                    wa[(((size_t) bb * ph + oy) * pw + ox) * ic + ch] = sum / 4.0f;
                }
    std::vector<float> pa(wa.size());
    emu::launch(grid(2), grid(ELEMENT_THREADS), [&] { avg_pool_nhwc(xi.data(), batch, ih, iw, ic, 2, pa.data()); });
    report("avg_pool_nhwc", "2 images 9x7x5, 2x2 (a partial window dropped)", pa, wa, 0);

    int tokens = g * g + 1, width = 40;
    auto emb = randoms((size_t) batch * g * g * width), cls = randoms(width), pos = randoms((size_t) tokens * width);
    std::vector<double> wt((size_t) batch * tokens * width);
    for (int bb = 0; bb < batch; bb++)
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < width; i++)
                wt[((size_t) bb * tokens + t) * width + i] = (double) (t == 0 ? cls[i] : emb[((size_t) bb * g * g + t - 1) * width + i]) + pos[(size_t) t * width + i];
    std::vector<float> xt(wt.size());
    emu::launch(grid(2), grid(ELEMENT_THREADS), [&] { vision_tokens(emb.data(), cls.data(), pos.data(), batch, tokens, width, xt.data()); });
    report("vision_tokens", "2 images of 10 tokens, width 40", xt, wt, 1e-6);

    int prompts = 3, seq = 7, vocab = 50;
    auto table = randoms((size_t) vocab * width), tpos = randoms((size_t) seq * width);
    std::vector<int> ids(prompts * seq);
    for (auto &id : ids) id = (int) (rng() % vocab);
    std::vector<double> wx((size_t) prompts * seq * width);
    for (int r = 0; r < prompts * seq; r++)
        for (int i = 0; i < width; i++) wx[(size_t) r * width + i] = (double) table[(size_t) ids[r] * width + i] + tpos[(size_t) (r % seq) * width + i];
    std::vector<float> xs(wx.size());
    emu::launch(grid(2), grid(ELEMENT_THREADS), [&] { text_tokens(ids.data(), table.data(), tpos.data(), prompts * seq, seq, width, xs.data()); });
    report("text_tokens", "3 prompts of 7 tokens, width 40", xs, wx, 1e-6);
}

static void tipCase(int queries, int classes, int shots, bool shuffled, bool identityAsNull = false) {
    int keys = classes * shots;
    std::vector<int> labels(keys);
    for (int j = 0; j < keys; j++) labels[j] = shuffled ? (int) (rng() % classes) : j / shots;
    auto aff = randoms((size_t) queries * keys, 0.3f), zs = randoms((size_t) queries * classes);
    // the class index the backend builds: keys of class c in order[offsets[c] .. offsets[c+1])
    std::vector<int> offsets(classes + 1, 0), order(keys), fill(classes, 0);
    for (int l : labels) offsets[l + 1]++;
    for (int c = 0; c < classes; c++) offsets[c + 1] += offsets[c];
    for (int j = 0; j < keys; j++) order[offsets[labels[j]] + fill[labels[j]]++] = j;
    float scale = 100, alpha = 1.5f, beta = 5.5f;
    std::vector<double> want((size_t) queries * classes);
    for (int q = 0; q < queries; q++) {
        std::vector<double> c(classes, 0.0);
        for (int j = 0; j < keys; j++) c[labels[j]] += std::exp(-beta * (1 - (double) aff[(size_t) q * keys + j]));
        for (int k = 0; k < classes; k++) want[(size_t) q * classes + k] = scale * zs[(size_t) q * classes + k] + alpha * c[k];
    }
    std::vector<float> out(want.size());
    emu::launch(grid(queries, ceilDiv(classes, ROW_THREADS)), grid(ROW_THREADS), [&] {
        tip_cache_logits(aff.data(), identityAsNull ? nullptr : order.data(), offsets.data(), zs.data(), queries, keys, classes, scale, alpha, beta, out.data());
    });
    char name[80];
    std::snprintf(name, sizeof name, "%d queries, %d classes x %d shots%s%s", queries, classes, shots, shuffled ? ", labels shuffled" : "",
                  identityAsNull ? ", keys class by class (no order)" : "");
    report("tip_cache_logits", name, out, want, 2e-4);
}

static void metaCase(int classes, int d, int shots) {
    auto w = randoms((size_t) classes * d, 0.05f), qk = randoms((size_t) classes * d, 0.5f), aw = randoms(d, 0.05f);
    std::vector<int> offsets(classes + 1, 0);
    for (int c = 0; c < classes; c++) offsets[c + 1] = offsets[c] + (c % 3 == 2 ? shots - 1 : shots);  // uneven supports
    auto support = randoms((size_t) offsets[classes] * d, 0.05f);
    float ab = 1.0f;
    std::vector<double> want((size_t) classes * d);
    for (int c = 0; c < classes; c++) {
        int slots = offsets[c + 1] - offsets[c] + 1;
        auto kv = [&](int j, int t) { return (double) (j == 0 ? w[(size_t) c * d + t] : support[(size_t) (offsets[c] + j - 1) * d + t]); };
        std::vector<double> a(slots);
        double mx = -1e300, sum = 0, pre = ab, nn = 0;
        for (int j = 0; j < slots; j++) {
            double s = 0;
            for (int t = 0; t < d; t++) s += qk[(size_t) c * d + t] * kv(j, t);
            mx = std::max(mx, a[j] = s / std::sqrt((double) d));
        }
        for (int j = 0; j < slots; j++) sum += a[j] = std::exp(a[j] - mx);
        for (int t = 0; t < d; t++) pre += (double) aw[t] * w[(size_t) c * d + t];
        double g = 1 / (1 + std::exp(-pre));
        for (int t = 0; t < d; t++) {
            double f = 0;
            for (int j = 0; j < slots; j++) f += a[j] / sum * kv(j, t);
            nn += (want[(size_t) c * d + t] = w[(size_t) c * d + t] + g * f) * want[(size_t) c * d + t];
        }
        for (int t = 0; t < d; t++) want[(size_t) c * d + t] /= std::sqrt(nn);
    }
    std::vector<float> out(want.size());
    emu::launch(grid(classes), grid(ROW_THREADS), [&] { meta_refine(w.data(), support.data(), offsets.data(), qk.data(), classes, d, aw.data(), ab, out.data()); });
    report("meta_refine", std::to_string(classes) + " classes, d " + std::to_string(d) + ", " + std::to_string(shots) + " shots", out, want, 1e-6);
}

int main() {
    for (int flags : {EPI_NONE, EPI_QUICK_GELU, EPI_GELU, EPI_QUICK_GELU | EPI_ACCUMULATE, EPI_GELU | EPI_ACCUMULATE, EPI_RELU,
                      EPI_ACCUMULATE | EPI_RELU}) linearCase("linear_f32", linear_f32, LINEAR_F32_TILE, 31, 17, 23, flags, flags != 1);
    linearCase("linear_f32", linear_f32, LINEAR_F32_TILE, 70, 96, 130, 4, true);
    linearCase("linear_f32", linear_f32, LINEAR_F32_TILE, 1, 1, 1, 0, true);
    linearCase("linear_f32", linear_f32, LINEAR_F32_TILE, 150, 64, 140, 6, true);  // two tiles each way, vector loads
    for (int flags : {EPI_NONE, EPI_QUICK_GELU, EPI_GELU | EPI_ACCUMULATE, EPI_ACCUMULATE | EPI_RELU}) linearCase("linear_f16", linear_f16, LINEAR_TC_TILE, 31, 17, 23, flags, true);
    linearCase("linear_f16", linear_f16, LINEAR_TC_TILE, 31, 20, 23, 0, false);   // k % 4 == 0 but not % 8: vector x loads, scalar w loads
    linearCase("linear_f16", linear_f16, LINEAR_TC_TILE, 130, 72, 200, 5, true);  // several tiles each way, vector loads, odd edges
    linearCase("linear_f16", linear_f16, LINEAR_TC_TILE, 50, 768, 160, 4, true);  // one ViT-B/32 image's rows at width 768
    linearCase("linear_f16_x16", linear_f16_x16, LINEAR_TC_TILE, 31, 17, 23, 6, true);
    linearCase("linear_f16_x16", linear_f16_x16, LINEAR_TC_TILE, 130, 72, 200, 4, true);
    linearCase("linear_f16_x16", linear_f16_x16, LINEAR_TC_TILE, 70, 768, 150, 4, true);  // 24 K steps through the 3-stage ring
    linearCase("linear_f16_x16_y16", linear_f16_x16_y16, LINEAR_TC_TILE, 31, 17, 23, 1, true);
    linearCase("linear_f16_x16_y16", linear_f16_x16_y16, LINEAR_TC_TILE, 130, 72, 200, 2, true);
    linearCase("linear_bf16", linear_bf16, LINEAR_TC_TILE, 31, 17, 23, 2, true);
    linearCase("linear_bf16", linear_bf16, LINEAR_TC_TILE, 130, 72, 200, 5, true);
    linearCase("linear_bf16_x16", linear_bf16_x16, LINEAR_TC_TILE, 130, 72, 200, 4, true);
    linearCase("linear_bf16_x16_y16", linear_bf16_x16_y16, LINEAR_TC_TILE, 31, 24, 140, 0, false);
    layerNormCase("layer_norm", layer_norm, 5, 31, false);
    layerNormCase("layer_norm", layer_norm, 7, 768, false);
    layerNormCase("layer_norm", layer_norm, 9, 512, true);
    layerNormCase("layer_norm", layer_norm, 17, 1280, false);  // three blocks, the last with one row
    layerNormCase("layer_norm_f16", layer_norm_f16, 7, 768, false);
    layerNormCase("layer_norm_bf16", layer_norm_bf16, 9, 512, true);
    attentionCase("attention_hd64", attention_hd64, ATTENTION_QUERIES, 64, 2, 50, 2, false);
    attentionCase("attention_hd64", attention_hd64, ATTENTION_QUERIES, 64, 1, 77, 2, true);
    attentionCase("attention_hd64", attention_hd64, ATTENTION_QUERIES, 64, 1, 130, 1, true);  // several query tiles and key steps
    attentionCase("attention_hd80", attention_hd80, ATTENTION_QUERIES, 80, 1, 37, 2, false);
    attentionCase("attention_hd128", attention_hd128, ATTENTION_QUERIES, 128, 1, 33, 1, true);
    attentionCase("attention_f16_hd64", attention_f16_hd64, ATTENTION_TC_WARPS * ATTENTION_TC_WARP_QUERIES, 64, 2, 50, 2, false);
    attentionCase("attention_f16_hd64", attention_f16_hd64, ATTENTION_TC_WARPS * ATTENTION_TC_WARP_QUERIES, 64, 1, 77, 2, true);
    attentionCase("attention_f16_hd64", attention_f16_hd64, ATTENTION_TC_WARPS * ATTENTION_TC_WARP_QUERIES, 64, 1, 130, 1, true);
    attentionCase("attention_f16_hd80", attention_f16_hd80, ATTENTION_TC_WARPS * ATTENTION_TC_WARP_QUERIES, 80, 1, 37, 2, false);
    attentionCase("attention_f16_hd128", attention_f16_hd128, ATTENTION_TC_WARPS_HD128 * ATTENTION_TC_WARP_QUERIES, 128, 1, 45, 1, true);
    attentionCase("attention_bf16_hd64", attention_bf16_hd64, ATTENTION_TC_WARPS * ATTENTION_TC_WARP_QUERIES, 64, 1, 77, 2, true);
    attentionCase("attention_bf16_hd80", attention_bf16_hd80, ATTENTION_TC_WARPS * ATTENTION_TC_WARP_QUERIES, 80, 2, 20, 1, false);
    attentionCase("attention_bf16_hd128", attention_bf16_hd128, ATTENTION_TC_WARPS_HD128 * ATTENTION_TC_WARP_QUERIES, 128, 1, 50, 1, false);
    elementwiseCases();
    tipCase(3, 10, 16, false);
    tipCase(3, 10, 16, false, true);
    tipCase(2, 300, 3, true);  // more classes than one block's threads, unsorted labels, empty classes
    metaCase(4, 40, 16);
    metaCase(3, 512, 4);
    std::printf("%s: %d failing case(s)\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
