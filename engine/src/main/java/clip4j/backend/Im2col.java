package clip4j.backend;

import clip4j.io.Tensor;

/**
 * The patches of a convolution over NHWC activations as the rows of a matrix (im2col), so that the convolution is a
 * product with its [out, kernel·kernel·c] weight matrix: row (b, oy, ox) holds, for ky, kx in order, the c channels
 * of input pixel (oy·stride − pad + ky, ox·stride − pad + kx), zeros where that lies in the padding.
 */
public record Im2col(int batch, int h, int w, int c, int kernel, int stride, int pad, int oh, int ow) {
    public static Im2col of(int batch, int h, int w, int c, int kernel, int stride, int pad) {
        if (batch < 0 || h < 1 || w < 1 || c < 1 || kernel < 1 || stride < 1 || pad < 0 || pad >= kernel) {
            throw new IllegalArgumentException("conv2d: bad shape " + batch + "x" + h + "x" + w + "x" + c + " kernel " + kernel
                    + " stride " + stride + " pad " + pad);
        }
        int oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1;
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("conv2d: a " + kernel + "x" + kernel + " kernel does not fit " + h + "x" + w);
        return new Im2col(batch, h, w, c, kernel, stride, pad, oh, ow);
    }

    /** Output pixels: rows of the product. */
    public int rows() {
        return Math.multiplyExact(Math.multiplyExact(batch, oh), ow);
    }

    /** Values per patch: columns of the product, K of the GEMM. */
    public int cols() {
        return Math.multiplyExact(kernel * kernel, c);
    }

    /** A 1×1 convolution of stride 1: the input is the patch matrix. */
    public boolean identity() {
        return kernel == 1 && stride == 1 && pad == 0;
    }

    public void check(float[] x, Tensor weight, float[] bias, float[] out) {
        if (weight.rank() != 2 || weight.shape()[1] != cols()) {
            throw new IllegalArgumentException("conv2d: weight " + weight.shapeString() + " is not a " + kernel + "x" + kernel + "x" + c + " kernel");
        }
        if (bias != null && bias.length != weight.shape()[0]) {
            throw new IllegalArgumentException("conv2d: a bias of " + bias.length + " for " + weight.shape()[0] + " outputs");
        }
        if (x.length < (long) batch * h * w * c || out.length < (long) rows() * weight.shape()[0]) {
            throw new IllegalArgumentException("conv2d: buffers too small for " + batch + "x" + h + "x" + w + "x" + c);
        }
    }

    /**
     * Patch rows r0..r0+mr (zeros past the last), K range [pc, pc+kc), packed for the GEMM as its plain input rows are,
     * straight from x (the patch matrix never exists): K-major, dst[off + t·mr + r], or byRow, dst[off + r·kc + t]
     * (a run of a kernel position's channels then one copy).
     */
    void packRows(float[] x, int mr, int r0, int pc, int kc, float[] dst, int off, boolean byRow) {
        int rows = rows(), end = pc + kc, as = byRow ? 1 : mr;
        // positions found by division once per call, then stepped: per row and per run only adds and compares (a
        // division per run cost the stem's 3-channel convolution more than its multiply-adds)
        int kpos0 = pc / c, ky0 = kpos0 / kernel, kx0 = kpos0 - ky0 * kernel, ch0 = pc - kpos0 * c;
        int perImage = oh * ow, b = r0 / perImage, oy = r0 % perImage / ow, ox = r0 % ow;
        for (int r = 0; r < mr; r++) {
            int d0 = off + (byRow ? r * kc : r);
            boolean zero = r0 + r >= rows;
            int iy0 = oy * stride - pad, ix0 = ox * stride - pad, base = b * h;
            for (int t = pc, ky = ky0, kx = kx0, ch = ch0; t < end; ) {
                int run = Math.min(end - t, c - ch);
                int iy = iy0 + ky, ix = ix0 + kx;
                int d = d0 + (t - pc) * as;
                if (zero || iy < 0 || iy >= h || ix < 0 || ix >= w) {
                    if (byRow) java.util.Arrays.fill(dst, d, d + run, 0f);
                    else for (int j = 0; j < run; j++) dst[d + j * mr] = 0f;
                } else {
                    int src = ((base + iy) * w + ix) * c + ch;
                    if (byRow && run > 8) System.arraycopy(x, src, dst, d, run);
                    else for (int j = 0; j < run; j++) dst[d + j * as] = x[src + j];
                }
                t += run;
                ch = 0;
                if (++kx == kernel) {
                    kx = 0;
                    ky++;
                }
            }
            if (++ox == ow) {
                ox = 0;
                if (++oy == oh) {
                    oy = 0;
                    b++;
                }
            }
        }
    }

    /** The whole patch matrix [rows(), cols()] into dst. */
    void gather(float[] x, float[] dst) {
        int k = cols(), perImage = oh * ow;
        for (int r = 0, rows = rows(); r < rows; r++) {
            int b = r / perImage, oy = r % perImage / ow, ox = r % ow, d = r * k;
            for (int ky = 0; ky < kernel; ky++) {
                int iy = oy * stride - pad + ky;
                for (int kx = 0; kx < kernel; kx++, d += c) {
                    int ix = ox * stride - pad + kx;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) java.util.Arrays.fill(dst, d, d + c, 0f);
                    else System.arraycopy(x, ((b * h + iy) * w + ix) * c, dst, d, c);
                }
            }
        }
    }
}
