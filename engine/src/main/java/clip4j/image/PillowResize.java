package clip4j.image;

/**
 * Pillow's BICUBIC resize on 8-bit interleaved pixels, exactly as Pillow src/libImaging/Resample.c
 * ({@code ImagingResampleHorizontal_8bpc}, {@code ImagingResampleVertical_8bpc}) does it (docs/preprocessing.md#resize):
 * separable, horizontal pass first into a uint8 intermediate, then vertical; kernel widened by the scale
 * when downscaling (the antialiasing); weights normalised in double, then 22-bit fixed point with
 * round-half-away-from-zero; int accumulator starting at 2²¹; clamp(acc >> 22, 0, 255). A pass whose
 * size does not change is skipped. Also the 32-bit integer path of mode "I" ({@code ImagingResampleHorizontal_32bpc}
 * and {@code _Vertical_32bpc}: double weights, double sums, rounded half away from zero, no clamping) and Pillow's
 * NEAREST for palette images (docs/preprocessing.md#image-modes).
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
        return coeffs(inSize, outSize, 0, outSize);
    }

    /** The taps of outputs [from, from + count) of a resize from inSize to outSize (index 0 = output {@code from}). */
    static Coeffs coeffs(int inSize, int outSize, int from, int count) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = BICUBIC_SUPPORT * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[count * 2];
        int[] kk = new int[Math.multiplyExact(count, ksize)];
        double[] dk = new double[count * ksize];
        double[] w = new double[ksize];
        double ss = 1.0 / filterscale;
        for (int o = 0; o < count; o++) {
            double center = (from + o + 0.5) * scale;
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
                dk[o * ksize + x] = v;
                kk[o * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[o * 2] = xmin;
            bounds[o * 2 + 1] = xmax;
        }
        return new Coeffs(ksize, bounds, kk, dk);
    }

    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Bicubic resize of w×h pixels with c channels to ow×oh. */
    public static byte[] bicubic(byte[] src, int w, int h, int c, int ow, int oh) {
        return bicubic(src, w, h, c, ow, oh, new Window(0, 0, ow, oh));
    }

    /**
     * A rectangle of a resize's output: columns [x, x + width), rows [y, y + height). Resizing only the window gives
     * the same pixels as resizing everything and cropping, with work and memory bounded by the window (Pillow's
     * Resample.c computes the horizontal pass only on the input rows the vertical pass reads, the same way).
     */
    public record Window(int x, int y, int width, int height) {
    }

    /** The window of a bicubic resize of w×h pixels with c channels to ow×oh (8-bit, the fixed-point path). */
    public static byte[] bicubic(byte[] src, int w, int h, int c, int ow, int oh, Window win) {
        Coeffs vc = oh != h ? coeffs(h, oh, win.y, win.height) : null;
        int r0 = vc == null ? win.y : vc.bounds[0], r1 = vc == null ? win.y + win.height : rowsEnd(vc, win.height);
        int cw = win.width, rows = r1 - r0;
        byte[] tmp = new byte[Math.multiplyExact(Math.multiplyExact(rows, cw), c)];
        if (ow != w && c == 3) {
            // RGB, the common case: the three channels' sums side by side, reading each input pixel once
            Coeffs co = coeffs(w, ow, win.x, cw);
            for (int y = r0; y < r1; y++) {
                for (int xx = 0; xx < cw; xx++) {
                    int xmin = co.bounds[2 * xx], n = co.bounds[2 * xx + 1], ko = xx * co.ksize, p = (y * w + xmin) * 3;
                    int a0 = 1 << (PRECISION_BITS - 1), a1 = a0, a2 = a0;
                    for (int x = 0; x < n; x++, p += 3) {
                        int k = co.k[ko + x];
                        a0 += (src[p] & 0xff) * k;
                        a1 += (src[p + 1] & 0xff) * k;
                        a2 += (src[p + 2] & 0xff) * k;
                    }
                    int t = ((y - r0) * cw + xx) * 3;
                    tmp[t] = (byte) clip8(a0);
                    tmp[t + 1] = (byte) clip8(a1);
                    tmp[t + 2] = (byte) clip8(a2);
                }
            }
        } else if (ow != w) {
            Coeffs co = coeffs(w, ow, win.x, cw);
            for (int y = r0; y < r1; y++) {
                for (int xx = 0; xx < cw; xx++) {
                    int xmin = co.bounds[2 * xx], n = co.bounds[2 * xx + 1], ko = xx * co.ksize;
                    for (int ch = 0; ch < c; ch++) {
                        int acc = 1 << (PRECISION_BITS - 1);
                        for (int x = 0; x < n; x++) acc += (src[(y * w + xmin + x) * c + ch] & 0xff) * co.k[ko + x];
                        tmp[((y - r0) * cw + xx) * c + ch] = (byte) clip8(acc);
                    }
                }
            }
        } else {
            for (int y = r0; y < r1; y++) System.arraycopy(src, (y * w + win.x) * c, tmp, (y - r0) * cw * c, cw * c);
        }
        if (vc == null) return tmp;
        byte[] out = new byte[win.height * cw * c];
        // a row of sums at a time, the input rows added in order (each sum's order unchanged), in a loop the JIT vectorises
        int rowLen = cw * c;
        int[] acc = new int[rowLen];
        for (int yy = 0; yy < win.height; yy++) {
            int ymin = vc.bounds[2 * yy] - r0, n = vc.bounds[2 * yy + 1], ko = yy * vc.ksize;
            java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            for (int y = 0; y < n; y++) {
                int k = vc.k[ko + y], t = (ymin + y) * rowLen;
                for (int x = 0; x < rowLen; x++) acc[x] += (tmp[t + x] & 0xff) * k;
            }
            for (int x = 0; x < rowLen; x++) out[yy * rowLen + x] = (byte) clip8(acc[x]);
        }
        return out;
    }

    /** One past the last input row any of the first {@code count} outputs reads. */
    private static int rowsEnd(Coeffs vc, int count) {
        int end = 0;
        for (int o = 0; o < count; o++) end = Math.max(end, vc.bounds[2 * o] + vc.bounds[2 * o + 1]);
        return end;
    }

    /** The window of a bicubic resize of w×h single-channel 32-bit integer samples (mode "I") to ow×oh. */
    public static int[] bicubicInt32(int[] src, int w, int h, int ow, int oh, Window win) {
        Coeffs vc = oh != h ? coeffs(h, oh, win.y, win.height) : null;
        int r0 = vc == null ? win.y : vc.bounds[0], r1 = vc == null ? win.y + win.height : rowsEnd(vc, win.height);
        int cw = win.width, rows = r1 - r0;
        int[] tmp = new int[Math.multiplyExact(rows, cw)];
        if (ow != w) {
            Coeffs co = coeffs(w, ow, win.x, cw);
            for (int y = r0; y < r1; y++) {
                for (int xx = 0; xx < cw; xx++) {
                    int xmin = co.bounds[2 * xx], n = co.bounds[2 * xx + 1], ko = xx * co.ksize;
                    double ss = 0.0;
                    for (int x = 0; x < n; x++) ss += src[y * w + xmin + x] * co.weights[ko + x];
                    tmp[(y - r0) * cw + xx] = roundUp(ss);
                }
            }
        } else {
            for (int y = r0; y < r1; y++) System.arraycopy(src, y * w + win.x, tmp, (y - r0) * cw, cw);
        }
        if (vc == null) return tmp;
        int[] out = new int[win.height * cw];
        for (int yy = 0; yy < win.height; yy++) {
            int ymin = vc.bounds[2 * yy] - r0, n = vc.bounds[2 * yy + 1], ko = yy * vc.ksize;
            for (int x = 0; x < cw; x++) {
                double ss = 0.0;
                for (int y = 0; y < n; y++) ss += tmp[(ymin + y) * cw + x] * vc.weights[ko + y];
                out[yy * cw + x] = roundUp(ss);
            }
        }
        return out;
    }

    /** Resample.c's ROUND_UP: half away from zero, the 0.5 a float constant (exact in double). */
    private static int roundUp(double f) {
        return (int) (f >= 0.0 ? Math.floor(f + 0.5f) : -Math.floor(Math.abs(f) + 0.5f));
    }

    /** Pillow's NEAREST (forced for P and 1 images): source index from an accumulated in/out step; the window only. */
    public static byte[] nearest(byte[] src, int w, int h, int c, int ow, int oh, Window win) {
        int[] xs = nearestIndex(w, ow, win.x, win.width);
        int[] ys = nearestIndex(h, oh, win.y, win.height);
        byte[] out = new byte[win.width * win.height * c];
        for (int y = 0; y < win.height; y++) {
            for (int x = 0; x < win.width; x++) {
                System.arraycopy(src, (ys[y] * w + xs[x]) * c, out, (y * win.width + x) * c, c);
            }
        }
        return out;
    }

    /** Source indices of outputs [from, from + count): the affine transform's x accumulates step by step from 0. */
    static int[] nearestIndex(int in, int out, int from, int count) {
        int[] idx = new int[count];
        double step = (double) in / out;
        double xo = 0.5 * step;
        for (int i = 0; i < from + count; i++) {
            if (i >= from) idx[i - from] = Math.min((int) xo, in - 1);
            xo += step;
        }
        return idx;
    }
}
