package clip4j.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The base of the Vector API backend: the species (a JIT constant in each final subclass of {@link VectorBackend}),
 * the worker pool, and the row-wise kernels (layer norm, activations, softmax). The kernel
 * families build on it as a chain of abstract classes, {@link VectorGemm} then {@link VectorAttention}, so that every
 * kernel is an instance method of the final class and sees the species as a constant.
 */
abstract sealed class VectorKernels implements Backend permits VectorGemm {
    final WorkerPool pool;

    VectorKernels(int threads) {
        this.pool = new WorkerPool(threads);
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
            double sum = acc.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) sum += x[o + c];
            float mean = (float) (sum / cols);
            FloatVector mv = FloatVector.broadcast(species, mean);
            acc = FloatVector.zero(species);
            for (c = 0; c < ub; c += len) {
                FloatVector d = FloatVector.fromArray(species, x, o + c).sub(mv);
                acc = d.fma(d, acc);
            }
            double var = acc.reduceLanes(VectorOperators.ADD);
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
        final VectorSpecies<Float> species = species();
        int len = species.length();
        int ub = species.loopBound(n);
        int i = 0;
        for (; i < ub; i += len) {
            FloatVector v = FloatVector.fromArray(species, x, i);
            FloatVector e = v.mul(-1.702f).lanewise(VectorOperators.EXP);
            v.div(e.add(1f)).intoArray(x, i);
        }
        for (; i < n; i++) x[i] = (float) (x[i] / (1.0 + Math.exp(-1.702 * x[i])));
    }

    /**
     * GELU through erfc (Numerical Recipes' Chebyshev fit, fractional error below 1.2e-7):
     * x ≥ 0: x·(1 − erfc(x/√2)/2); x &lt; 0: x·erfc(|x|/√2)/2, which keeps relative accuracy in the left tail.
     */
    @Override
    public void gelu(float[] x, int n) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        int ub = species.loopBound(n);
        int i = 0;
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
            FloatVector half = t.mul(poly.sub(z.mul(z)).lanewise(VectorOperators.EXP)).mul(0.5f);
            VectorMask<Float> neg = v.compare(VectorOperators.LT, 0f);
            FloatVector phi = FloatVector.broadcast(species, 1f).sub(half).blend(half, neg);
            v.mul(phi).intoArray(x, i);
        }
        for (; i < n; i++) x[i] = (float) (0.5 * x[i] * (1.0 + Erf.erf(x[i] / Math.sqrt(2.0))));
    }

    @Override
    public void softmax(float[] x, int off, int n) {
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
            FloatVector e = FloatVector.fromArray(species, x, off + i).sub(mb).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            x[off + i] = (float) Math.exp(x[off + i] - max);
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
