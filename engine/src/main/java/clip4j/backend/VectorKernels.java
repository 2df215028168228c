package clip4j.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The base of the Vector API backend: the species (a JIT constant in each final subclass of {@link VectorBackend}),
 * the worker pool, and the row-wise kernels (layer norm, activations, softmax). The kernel
 * families build on it as a chain of abstract classes, {@link VectorGemm} then {@link VectorAttention}, so that every
 * kernel is an instance method of the final class and sees the species as a constant.
 */
abstract sealed class VectorKernels implements Backend permits VectorMicroKernels {
    final WorkerPool pool;
    /**
     * Held for the whole of a multi-threaded operation: one runs at a time (they use every worker anyway), so its
     * arguments and its buffers ({@link #callWorkspace}) can be plain fields.
     */
    final java.util.concurrent.locks.ReentrantLock calls = new java.util.concurrent.locks.ReentrantLock();
    final Workspace callWorkspace = new Workspace();

    /**
     * Takes {@link #calls} for a multi-threaded operation. One started inside another would overwrite the running one's
     * call state (on its caller's thread) or wait for ever (on a worker), so both are refused.
     */
    final void beginCall() {
        if (calls.isHeldByCurrentThread() || pool.isWorker()) {
            throw new IllegalStateException("a backend operation cannot start inside another one");
        }
        Thread w = warmUp;
        if (w != null && w != Thread.currentThread()) {
            WorkerPool.joinUninterruptibly(w);
            warmUp = null;
        }
        calls.lock();
    }

    /** The thread bringing the kernels to compiled code ({@link WarmUp}), until it is done. */
    volatile Thread warmUp;

    VectorKernels(int threads) {
        this.pool = new WorkerPool(threads);
    }

    // ---- reproducible building blocks --------------------------------------------------------------------------
    // reduceLanes(ADD) leaves the order of the sum open and lanewise(EXP) may call a vector math library: interpreted
    // and compiled code then round differently, so a result would depend on how warm the JVM is. These two are plain
    // IEEE operations in a fixed order, the same bits in every mode for a given vector width and thread count.

    /**
     * The lanes' sum as a fixed tree: halves added lane by lane down to four lanes, then (l0 + l1) + (l2 + l3). The
     * halves meet through constant shuffles (each width's final class holds them), so the vector never leaves its
     * register: reinterpretShape, the obvious way to split a vector, is not intrinsified for the upper half and
     * allocated on every call, and so did a lane-by-lane version too large to be inlined.
     */
    final float sumLanes(FloatVector v) {
        int len = v.length();
        if (len == 16) v = v.add(v.rearrange(down8()));
        if (len >= 8) v = v.add(v.rearrange(down4()));
        v = v.add(v.rearrange(down1()));
        return v.lane(0) + v.lane(2);
    }

    /** {@link #sumLanes(FloatVector)} of a vector stored in l[0, len): the same additions in the same order. */
    static float sumLanes(float[] l, int len) {
        return switch (len) {
            case 16 -> quad((l[0] + l[8]) + (l[4] + l[12]), (l[1] + l[9]) + (l[5] + l[13]), (l[2] + l[10]) + (l[6] + l[14]),
                    (l[3] + l[11]) + (l[7] + l[15]));
            case 8 -> quad(l[0] + l[4], l[1] + l[5], l[2] + l[6], l[3] + l[7]);
            default -> quad(l[0], l[1], l[2], l[3]);
        };
    }

    private static float quad(float a, float b, float c, float d) {
        return (a + b) + (c + d);
    }

    /** Shuffles that bring lane i + 8, i + 4, i + 1 (modulo the length) to lane i; down8 only at 16 lanes, down4 from 8. */
    abstract VectorShuffle<Float> down8();

    abstract VectorShuffle<Float> down4();

    abstract VectorShuffle<Float> down1();

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f; // 1.5 · 2^23: x + ROUNDER − ROUNDER rounds x to an integer
    /** Above ln(FLT_MAX) the result is +∞; below, n ≥ −125 keeps 2^n a normal float (smaller results flush to 0). */
    private static final float EXP_HI = 88.7228394f, EXP_LO = -86.6f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * e^x in float, lane by lane: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite, ln2 in two parts), e^r = 1 + r + r²·P(r)
     * with Cephes' expf polynomial, times 2^(n−1)·2 built in the exponent bits (n reaches 128 just below the overflow);
     * within 2 ulp. Above 88.72 it is +∞, below −86.6 it is 0 (no subnormals). {@link #exp(float)} is the same
     * arithmetic for one value.
     */
    static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> sp = x.species();
        VectorMask<Float> over = x.compare(VectorOperators.GT, EXP_HI), under = x.compare(VectorOperators.LT, EXP_LO);
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector n = xc.fma(LOG2E, ROUNDER).sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(sp, P2));
        p = p.fma(r, FloatVector.broadcast(sp, P3));
        p = p.fma(r, FloatVector.broadcast(sp, P4));
        p = p.fma(r, FloatVector.broadcast(sp, P5));
        FloatVector e = r.mul(r).fma(p, r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(126).lanewise(VectorOperators.LSHL, 23);
        FloatVector y = e.mul(bits.reinterpretAsFloats()).mul(2f);
        return y.blend(Float.POSITIVE_INFINITY, over).blend(0f, under).blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** {@link #exp(FloatVector)} for one value. */
    static float exp(float x) {
        if (x != x) return x;
        if (x > EXP_HI) return Float.POSITIVE_INFINITY;
        if (x < EXP_LO) return 0f;
        float n = Math.fma(x, LOG2E, ROUNDER) - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float e = Math.fma(r * r, p, r) + 1f;
        return e * Float.intBitsToFloat(((int) n + 126) << 23) * 2f;
    }

    /** The species every kernel uses; a constant in each subclass. */
    abstract VectorSpecies<Float> species();

    /** Shorts and ints with as many lanes as {@link #species()} (for widening bf16), constants too. */
    abstract VectorSpecies<Short> halfSpecies();

    abstract VectorSpecies<Integer> intSpecies();

    // ---- layer norm ----------------------------------------------------------------------------------------

    @Override
    public void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] out) {
        final VectorSpecies<Float> species = species();
        int ub = species.loopBound(cols);
        int len = species.length();
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            FloatVector acc = FloatVector.zero(species);
            int c = 0;
            for (; c < ub; c += len) acc = acc.add(FloatVector.fromArray(species, x, o + c));
            double sum = sumLanes(acc);
            for (; c < cols; c++) sum += x[o + c];
            float mean = (float) (sum / cols);
            FloatVector mv = FloatVector.broadcast(species, mean);
            acc = FloatVector.zero(species);
            for (c = 0; c < ub; c += len) {
                FloatVector d = FloatVector.fromArray(species, x, o + c).sub(mv);
                acc = d.fma(d, acc);
            }
            double var = sumLanes(acc);
            for (; c < cols; c++) {
                double d = x[o + c] - mean;
                var += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(var / cols + eps));
            FloatVector iv = FloatVector.broadcast(species, inv);
            for (c = 0; c < ub; c += len) {
                FloatVector y = FloatVector.fromArray(species, x, o + c).sub(mv).mul(iv);
                y.fma(FloatVector.fromArray(species, gamma, c), FloatVector.fromArray(species, beta, c)).intoArray(out, o + c);
            }
            for (; c < cols; c++) out[o + c] = (x[o + c] - mean) * inv * gamma[c] + beta[c];
        }
    }

    // ---- element-wise ----------------------------------------------------------------------------------------

    @Override
    public void quickGelu(float[] x, int n) {
        quickGelu(x, 0, n);
    }

    /** QuickGELU on x[off, off+n). */
    void quickGelu(float[] x, int off, int n) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        int ub = off + species.loopBound(n), end = off + n;
        int i = off;
        for (; i < ub; i += len) {
            FloatVector v = FloatVector.fromArray(species, x, i);
            FloatVector e = exp(v.mul(-1.702f));
            v.div(e.add(1f)).intoArray(x, i);
        }
        for (; i < end; i++) x[i] = x[i] / (exp(x[i] * -1.702f) + 1f);
    }

    /** x[off, off+n) ← max(x, 0) (ReLU; Math.max's: NaN stays NaN). */
    void relu(float[] x, int off, int n) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        int ub = off + species.loopBound(n), end = off + n;
        int i = off;
        for (; i < ub; i += len) FloatVector.fromArray(species, x, i).max(0f).intoArray(x, i);
        for (; i < end; i++) x[i] = Math.max(x[i], 0f);
    }

    /** x[off, off+n) ← max(x + y, 0): a Bottleneck's residual add and ReLU. */
    void addRelu(float[] x, float[] y, int off, int n) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        int ub = off + species.loopBound(n), end = off + n;
        int i = off;
        for (; i < ub; i += len) FloatVector.fromArray(species, x, i).add(FloatVector.fromArray(species, y, i)).max(0f).intoArray(x, i);
        for (; i < end; i++) x[i] = Math.max(x[i] + y[i], 0f);
    }

    /**
     * Average pooling as {@link Backend#avgPool2d}'s plain loops do it (each window from 0 in row order, then divided
     * by kernel², the same bits), a vector of channels at a time.
     */
    @Override
    public void avgPool2d(float[] x, int batch, int h, int w, int c, int kernel, float[] out) {
        Backend.checkAvgPool(x, batch, h, w, c, kernel, out);
        final VectorSpecies<Float> species = species();
        int oh = h / kernel, ow = w / kernel, ub = species.loopBound(c);
        float area = kernel * kernel;
        for (int b = 0; b < batch; b++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int o = ((b * oh + oy) * ow + ox) * c, in = ((b * h + oy * kernel) * w + ox * kernel) * c;
                    int ch = 0;
                    for (; ch < ub; ch += species.length()) {
                        FloatVector sum = FloatVector.zero(species);
                        for (int ky = 0; ky < kernel; ky++) {
                            for (int kx = 0; kx < kernel; kx++) sum = sum.add(FloatVector.fromArray(species, x, in + (ky * w + kx) * c + ch));
                        }
                        sum.div(area).intoArray(out, o + ch);
                    }
                    for (; ch < c; ch++) {
                        float sum = 0f;
                        for (int ky = 0; ky < kernel; ky++) for (int kx = 0; kx < kernel; kx++) sum += x[in + (ky * w + kx) * c + ch];
                        out[o + ch] = sum / area;
                    }
                }
            }
        }
    }

    /** x[off, off+n) += y[yOff, yOff+n). */
    void add(float[] x, int off, float[] y, int yOff, int n) {
        final VectorSpecies<Float> species = species();
        int len = species.length(), ub = species.loopBound(n), i = 0;
        for (; i < ub; i += len) FloatVector.fromArray(species, x, off + i).add(FloatVector.fromArray(species, y, yOff + i)).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] += y[yOff + i];
    }

    /**
     * GELU through erfc (Numerical Recipes' Chebyshev fit, fractional error below 1.2e-7):
     * x ≥ 0: x·(1 − erfc(x/√2)/2); x &lt; 0: x·erfc(|x|/√2)/2, which keeps relative accuracy in the left tail.
     */
    @Override
    public void gelu(float[] x, int n) {
        gelu(x, 0, n);
    }

    /** GELU on x[off, off+n). */
    void gelu(float[] x, int off, int n) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        int ub = off + species.loopBound(n), end = off + n;
        int i = off;
        for (; i < ub; i += len) {
            FloatVector v = FloatVector.fromArray(species, x, i);
            FloatVector z = v.abs().mul((float) (1.0 / Math.sqrt(2.0)));
            FloatVector t = FloatVector.broadcast(species, 1f).div(z.mul(0.5f).add(1f));
            FloatVector poly = t.mul(0.17087277f).add(-0.82215223f);
            poly = poly.mul(t).add(1.48851587f);
            poly = poly.mul(t).add(-1.13520398f);
            poly = poly.mul(t).add(0.27886807f);
            poly = poly.mul(t).add(-0.18628806f);
            poly = poly.mul(t).add(0.09678418f);
            poly = poly.mul(t).add(0.37409196f);
            poly = poly.mul(t).add(1.00002368f);
            poly = poly.mul(t).add(-1.26551223f);
            FloatVector half = t.mul(exp(poly.sub(z.mul(z)))).mul(0.5f);
            VectorMask<Float> neg = v.compare(VectorOperators.LT, 0f);
            FloatVector phi = FloatVector.broadcast(species, 1f).sub(half).blend(half, neg);
            v.mul(phi).intoArray(x, i);
        }
        for (; i < end; i++) x[i] = gelu(x[i]);
    }

    /** The vector lanes' GELU for one value: the same float operations in the same order, so a tail rounds as a lane. */
    static float gelu(float v) {
        float z = Math.abs(v) * (float) (1.0 / Math.sqrt(2.0));
        float t = 1f / (z * 0.5f + 1f);
        float poly = t * 0.17087277f + -0.82215223f;
        poly = poly * t + 1.48851587f;
        poly = poly * t + -1.13520398f;
        poly = poly * t + 0.27886807f;
        poly = poly * t + -0.18628806f;
        poly = poly * t + 0.09678418f;
        poly = poly * t + 0.37409196f;
        poly = poly * t + 1.00002368f;
        poly = poly * t + -1.26551223f;
        float half = t * exp(poly - z * z) * 0.5f;
        return v * (v < 0f ? half : 1f - half);
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        softmax(x, off, n, new float[species().length()]);
    }

    /**
     * Softmax with the sum's lanes passed through {@code lanes} (one per lane, the caller's buffer) and added in the
     * fixed tree of {@link #sumLanes(FloatVector)}: inside the attention kernel the compiler has no inlining budget
     * left, and a vector passed to a call that is not inlined is allocated on the heap.
     */
    void softmax(float[] x, int off, int n, float[] lanes) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        int ub = species.loopBound(n);
        FloatVector mv = FloatVector.broadcast(species, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < ub; i += len) mv = mv.max(FloatVector.fromArray(species, x, off + i));
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector mb = FloatVector.broadcast(species, max);
        FloatVector acc = FloatVector.zero(species);
        for (i = 0; i < ub; i += len) {
            FloatVector e = exp(FloatVector.fromArray(species, x, off + i).sub(mb));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        acc.intoArray(lanes, 0);
        float sum = sumLanes(lanes, len);
        for (; i < n; i++) {
            x[off + i] = exp(x[off + i] - max);
            sum += x[off + i];
        }
        float inv = 1f / sum;
        for (i = 0; i < ub; i += len) FloatVector.fromArray(species, x, off + i).mul(inv).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= inv;
    }

    /** x[off, off+n) ← f·x. */
    void scale(float[] x, int off, int n, float f) {
        final VectorSpecies<Float> species = species();
        int i = 0, ub = species.loopBound(n);
        for (; i < ub; i += species.length()) FloatVector.fromArray(species, x, off + i).mul(f).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= f;
    }

    @Override
    public void close() {
        pool.close();
    }
}
