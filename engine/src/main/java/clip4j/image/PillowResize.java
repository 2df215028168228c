package clip4j.image;

/**
 * Pillow's BICUBIC resize on 8-bit interleaved pixels, exactly as Resample.c does it (clip-spec §8.2):
 * separable, horizontal pass first into a uint8 intermediate, then vertical; kernel widened by the scale
 * when downscaling (the antialiasing); weights normalised in double, then 22-bit fixed point with
 * round-half-away-from-zero; int accumulator starting at 2²¹; clamp(acc >> 22, 0, 255). A pass whose
 * size does not change is skipped. Also the 32-bit integer path of mode "I" ({@code ImagingResampleHorizontal_32bpc}
 * and {@code _Vertical_32bpc}: double weights, double sums, rounded half away from zero, no clamping) and Pillow's
 * NEAREST for palette images (§8.4).
 */
public final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double BICUBIC_SUPPORT = 2.0;

    private PillowResize() {
    }

    /** Pillow's bicubic_filter with a = −0.5. */
    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /**
     * Taps for one axis: bounds[2·o] = first source index, bounds[2·o+1] = tap count; normalised weights in double
     * ({@code weights}, the 32-bit path) and in 22-bit fixed point ({@code k}, the 8-bit path).
     */
    record Coeffs(int ksize, int[] bounds, int[] k, double[] weights) {
    }

    static Coeffs coeffs(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = BICUBIC_SUPPORT * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] kk = new int[outSize * ksize];
        double[] dk = new double[outSize * ksize];
        double[] w = new double[ksize];
        double ss = 1.0 / filterscale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++) {
                w[x] = bicubic((x + xmin - center + 0.5) * ss);
                ww += w[x];
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0.0 ? w[x] / ww : w[x];
                dk[xx * ksize + x] = v;
                kk[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coeffs(ksize, bounds, kk, dk);
    }

    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Bicubic resize of w×h pixels with c channels to ow×oh. */
    public static byte[] bicubic(byte[] src, int w, int h, int c, int ow, int oh) {
        byte[] cur = src;
        int cw = w;
        if (ow != w) {
            Coeffs co = coeffs(w, ow);
            byte[] out = new byte[ow * h * c];
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    int xmin = co.bounds[2 * xx], n = co.bounds[2 * xx + 1], ko = xx * co.ksize;
                    for (int ch = 0; ch < c; ch++) {
                        int acc = 1 << (PRECISION_BITS - 1);
                        for (int x = 0; x < n; x++) acc += (cur[(y * cw + xmin + x) * c + ch] & 0xff) * co.k[ko + x];
                        out[(y * ow + xx) * c + ch] = (byte) clip8(acc);
                    }
                }
            }
            cur = out;
            cw = ow;
        }
        if (oh != h) {
            Coeffs co = coeffs(h, oh);
            byte[] out = new byte[cw * oh * c];
            for (int yy = 0; yy < oh; yy++) {
                int ymin = co.bounds[2 * yy], n = co.bounds[2 * yy + 1], ko = yy * co.ksize;
                for (int x = 0; x < cw; x++) {
                    for (int ch = 0; ch < c; ch++) {
                        int acc = 1 << (PRECISION_BITS - 1);
                        for (int y = 0; y < n; y++) acc += (cur[((ymin + y) * cw + x) * c + ch] & 0xff) * co.k[ko + y];
                        out[(yy * cw + x) * c + ch] = (byte) clip8(acc);
                    }
                }
            }
            cur = out;
        }
        return cur == src ? src.clone() : cur;
    }

    /** Bicubic resize of w×h single-channel 32-bit integer samples (mode "I") to ow×oh. */
    public static int[] bicubicInt32(int[] src, int w, int h, int ow, int oh) {
        int[] cur = src;
        if (ow != w) {
            Coeffs co = coeffs(w, ow);
            int[] out = new int[ow * h];
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < ow; xx++) {
                    int xmin = co.bounds[2 * xx], n = co.bounds[2 * xx + 1], ko = xx * co.ksize;
                    double ss = 0.0;
                    for (int x = 0; x < n; x++) ss += cur[y * w + xmin + x] * co.weights[ko + x];
                    out[y * ow + xx] = roundUp(ss);
                }
            }
            cur = out;
        }
        if (oh != h) {
            Coeffs co = coeffs(h, oh);
            int[] out = new int[ow * oh];
            for (int yy = 0; yy < oh; yy++) {
                int ymin = co.bounds[2 * yy], n = co.bounds[2 * yy + 1], ko = yy * co.ksize;
                for (int x = 0; x < ow; x++) {
                    double ss = 0.0;
                    for (int y = 0; y < n; y++) ss += cur[(ymin + y) * ow + x] * co.weights[ko + y];
                    out[yy * ow + x] = roundUp(ss);
                }
            }
            cur = out;
        }
        return cur == src ? src.clone() : cur;
    }

    /** Resample.c's ROUND_UP: half away from zero, the 0.5 a float constant (exact in double). */
    private static int roundUp(double f) {
        return (int) (f >= 0.0 ? Math.floor(f + 0.5f) : -Math.floor(Math.abs(f) + 0.5f));
    }

    /** Pillow's NEAREST (forced for P and 1 images): source index from an accumulated in/out step. */
    public static byte[] nearest(byte[] src, int w, int h, int c, int ow, int oh) {
        int[] xs = nearestIndex(w, ow);
        int[] ys = nearestIndex(h, oh);
        byte[] out = new byte[ow * oh * c];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                System.arraycopy(src, (ys[y] * w + xs[x]) * c, out, (y * ow + x) * c, c);
            }
        }
        return out;
    }

    static int[] nearestIndex(int in, int out) {
        int[] idx = new int[out];
        double step = (double) in / out;
        double xo = 0.5 * step;
        for (int i = 0; i < out; i++) {
            idx[i] = Math.min((int) xo, in - 1);
            xo += step;
        }
        return idx;
    }
}
