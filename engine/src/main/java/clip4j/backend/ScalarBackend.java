package clip4j.backend;

import clip4j.io.Tensor;

/**
 * The reference backend: plain loops, one thread, every dot product, mean, variance and softmax sum
 * accumulated in double, exp/sigmoid/erf in double (docs/forward-pass.md#numerics). The twin every optimised kernel is
 * tested against.
 */
public final class ScalarBackend implements Backend {
    @Override
    public String name() {
        return "cpu-reference";
    }

    @Override
    public void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] out, Epilogue epilogue) {
        int n = Math.toIntExact(w.shape()[0]);
        checkLinear(x, m, k, w, bias, out);
        float[] row = new float[k];
        for (int j = 0; j < n; j++) {
            for (int t = 0; t < k; t++) row[t] = w.getFloat((long) j * k + t);
            for (int i = 0; i < m; i++) {
                double acc = bias == null ? 0.0 : bias[j];
                int xo = i * k;
                for (int t = 0; t < k; t++) acc += (double) x[xo + t] * row[t];
                out[i * n + j] = epilogue(epilogue, out[i * n + j], (float) acc);
            }
        }
    }

    /**
     * The reference convolution: for every output, the bias plus the products over ky, kx, c in that order, summed
     * in double and rounded once (zero padding skipped), then the epilogue.
     */
    @Override
    public void conv2d(float[] x, int batch, int h, int w, int c, Tensor weight, int kernel, float[] bias, int stride, int pad,
                       float[] out, Epilogue epilogue) {
        Im2col im = Im2col.of(batch, h, w, c, kernel, stride, pad);
        im.check(x, weight, bias, out);
        int n = Math.toIntExact(weight.shape()[0]), k = im.cols();
        float[] wr = new float[k];
        for (int o = 0; o < n; o++) {
            for (int t = 0; t < k; t++) wr[t] = weight.getFloat((long) o * k + t);
            for (int b = 0; b < batch; b++) {
                for (int oy = 0; oy < im.oh(); oy++) {
                    for (int ox = 0; ox < im.ow(); ox++) {
                        double acc = bias == null ? 0.0 : bias[o];
                        for (int ky = 0; ky < kernel; ky++) {
                            int iy = oy * stride - pad + ky;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < kernel; kx++) {
                                int ix = ox * stride - pad + kx;
                                if (ix < 0 || ix >= w) continue;
                                int xo = ((b * h + iy) * w + ix) * c, wo = (ky * kernel + kx) * c;
                                for (int ch = 0; ch < c; ch++) acc += (double) x[xo + ch] * wr[wo + ch];
                            }
                        }
                        int oi = ((b * im.oh() + oy) * im.ow() + ox) * n + o;
                        out[oi] = epilogue(epilogue, out[oi], (float) acc);
                    }
                }
            }
        }
    }

    /** An output after the epilogue: y = the product plus bias, old = what the output held. */
    private static float epilogue(Epilogue e, float old, float y) {
        return switch (e) {
            case NONE -> y;
            case QUICK_GELU -> quickGelu(y);
            case GELU -> gelu(y);
            case RESIDUAL -> old + y;
            case RELU -> Math.max(y, 0f);
            case RESIDUAL_RELU -> Math.max(old + y, 0f);
        };
    }

    public static void checkLinear(float[] x, int m, int k, Tensor w, float[] bias, float[] out) {
        if (w.rank() != 2 || w.shape()[1] != k) {
            throw new IllegalArgumentException("linear: weight " + w.shapeString() + " does not take " + k + " inputs");
        }
        long n = w.shape()[0];
        if (x.length < (long) m * k || out.length < m * n || (bias != null && bias.length != n)) {
            throw new IllegalArgumentException("linear: buffers too small for " + m + "x" + k + " -> " + n);
        }
    }

    @Override
    public void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] out) {
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += x[o + c];
            double mean = sum / cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                double d = x[o + c] - mean;
                var += d * d;
            }
            double inv = 1.0 / Math.sqrt(var / cols + eps);
            for (int c = 0; c < cols; c++) out[o + c] = (float) ((x[o + c] - mean) * inv * gamma[c] + beta[c]);
        }
    }

    @Override
    public void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] out) {
        int hd = width / heads;
        double scale = 1.0 / Math.sqrt(hd);
        int stride = 3 * width;
        double[] p = new double[seq];
        for (int b = 0; b < batch; b++) {
            int base = b * seq;
            for (int h = 0; h < heads; h++) {
                int qo = h * hd;
                int ko = width + h * hd;
                int vo = 2 * width + h * hd;
                for (int i = 0; i < seq; i++) {
                    int keys = causal ? i + 1 : seq;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < keys; j++) {
                        double s = 0;
                        for (int t = 0; t < hd; t++) {
                            s += (double) qkv[(base + i) * stride + qo + t] * qkv[(base + j) * stride + ko + t];
                        }
                        p[j] = s * scale;
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < keys; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int t = 0; t < hd; t++) {
                        double acc = 0;
                        for (int j = 0; j < keys; j++) acc += p[j] * qkv[(base + j) * stride + vo + t];
                        out[(base + i) * width + qo + t] = (float) (acc / sum);
                    }
                }
            }
        }
    }

    @Override
    public void quickGelu(float[] x, int n) {
        for (int i = 0; i < n; i++) x[i] = quickGelu(x[i]);
    }

    private static float quickGelu(float x) {
        return (float) (x / (1.0 + Math.exp(-1.702 * x)));
    }

    @Override
    public void gelu(float[] x, int n) {
        for (int i = 0; i < n; i++) x[i] = gelu(x[i]);
    }

    private static float gelu(float x) {
        return (float) (0.5 * x * (1.0 + Erf.erf(x / Math.sqrt(2.0))));
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(x[off + i] - max);
        for (int i = 0; i < n; i++) x[off + i] = (float) (Math.exp(x[off + i] - max) / sum);
    }
}
