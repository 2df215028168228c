package clip4j.backend;

import clip4j.io.DType;
import clip4j.io.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;

/**
 * 3×3 convolutions of stride 1 by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", CVPR 2016): each 2×2 block of outputs (a tile) comes from its 4×4 input patch d as
 * Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so that per channel pair 16 products replace 36. Over all channels the 16 elementwise
 * products are 16 GEMMs [tiles, c]·[c, out] on the packed GEMM (the transformed weights kept as panels, made once per
 * weight), between a vector input transform (Bᵀ d B, per channel vector) and output transform (Aᵀ M A, plus the bias and
 * the epilogue). The tiles are taken a band at a time, and each thread takes its own tiles of the band from the input
 * transform through the 16 products to the outputs, so that its inputs and products stay in its cache and never cross
 * cores (split instead by transform and by product, RN50's shapes ran 1.15–2.3× slower at batch 8). The transforms' coefficients are 0, ±1 and ±½: the sums are regrouped, not approximated (fp32 noise against the
 * direct convolution, which {@link ScalarBackend} computes and the tests compare). Shapes it does not fit (odd sizes,
 * strides, other kernels, channels the vectors do not divide) take the im2col GEMM of {@link VectorGemm}.
 */
abstract sealed class VectorWinograd extends VectorGemm permits VectorAttention {
    /**
     * Floats of a thread's 16 transformed inputs and 16 products together (1 MB: they stay in its L2 between the
     * transforms and the products), unless that is under MIN_SHARE tiles: the 16 weights are read once per share, and
     * fewer rows would not pay for reading them.
     */
    static final int SHARE_FLOATS = 1 << 18, MIN_SHARE = 96;
    /** Floats of a band's inputs and products for all threads together at most (128 MB), unless one share needs more. */
    static final long BAND_FLOATS = 1L << 25;
    /** Fewer input channels make GEMMs too short in K to gain from 16 products in place of 36. */
    static final int MIN_CHANNELS = 32;
    /** The band's 16 transformed inputs, and its 16 products, each in one array at {@link #stride}s. */
    private static final Workspace.Buffer V = Workspace.buffer("winograd.v"), M = Workspace.buffer("winograd.m");

    /** The 16 transformed weights of a 3×3 convolution: each [out, c] as panels, and a tensor for its shape. */
    record Transformed(Tensor[] shapes, Panels[] panels) {
    }

    /** Transformed weights of mapped files, kept from their first use (entries of closed models dropped). */
    private final ConcurrentHashMap<SegmentKey, Transformed> transformed = new ConcurrentHashMap<>();
    private volatile boolean enabled = true;

    VectorWinograd(int threads, GemmPlan plan, boolean packOnce, java.nio.file.Path panelDir) {
        super(threads, plan, packOnce, panelDir);
    }

    /** Switches Winograd convolutions on or off (off: every convolution takes the im2col GEMM; the tests' exact checks). */
    final void winograd(boolean on) {
        enabled = on;
    }

    /** Whether a convolution takes the Winograd path. */
    final boolean winogradFits(int h, int w, int c, int n, int kernel, int stride, int pad, Epilogue e) {
        int len = species().length();
        return enabled && kernel == 3 && stride == 1 && pad == 1 && h % 2 == 0 && w % 2 == 0 && c >= MIN_CHANNELS && c % len == 0
                && n % len == 0 && (e == Epilogue.NONE || e == Epilogue.RELU || e.accumulates());
    }

    @Override
    public void conv2d(float[] x, int batch, int h, int w, int c, Tensor weight, int kernel, float[] bias, int stride, int pad,
                       float[] out, Epilogue epilogue) {
        Im2col im = Im2col.of(batch, h, w, c, kernel, stride, pad);
        im.check(x, weight, bias, out);
        int n = Math.toIntExact(weight.shape()[0]);
        if (batch == 0 || !winogradFits(h, w, c, n, kernel, stride, pad, epilogue)) {
            super.conv2d(x, batch, h, w, c, weight, kernel, bias, stride, pad, out, epilogue);
            return;
        }
        beginCall();
        try {
            Transformed u = transformedWeights(weight, n, c);
            WinogradCall call = winogradCall;
            call.x = x;
            call.out = out;
            call.bias = bias;
            call.epilogue = epilogue;
            call.h = h;
            call.w = w;
            call.c = c;
            call.n = n;
            int threads = pool.threads(), total = Math.multiplyExact(Math.multiplyExact(batch, h / 2), w / 2);
            // a thread's share of a band: its inputs and products in its L2, and at least MIN_SHARE rows for the GEMMs;
            // a band's for all threads at most BAND_FLOATS (many threads on wide channels share fewer tiles each)
            int share = (int) Math.max(MIN_SHARE, SHARE_FLOATS / (16L * (c + n))) / 8 * 8;
            int band = (int) Math.min(total, Math.max(share, Math.min((long) share * threads, BAND_FLOATS / (16L * (c + n)))));
            call.vs = stride(band * c);
            call.ms = stride(band * n);
            call.v = callWorkspace.floats(V, 16 * call.vs);
            call.m = callWorkspace.floats(M, 16 * call.ms);
            for (int g0 = 0; g0 < total; g0 += band) {
                int tiles = Math.min(band, total - g0);
                call.tile0 = g0;
                call.tiles = tiles;
                // each thread's tiles a whole number of 8-row groups where it can
                call.share = (tiles + threads * 8 - 1) / (threads * 8) * 8;
                batch(16, call.v, call.vs, tiles, c, u.shapes(), u.panels(), call.m, call.ms);
                pool.parallelFor(threads, call.body);
            }
        } finally {
            endBatch(16);
            winogradCall.clear();
            calls.unlock();
        }
    }

    /** The running Winograd convolution's arguments and loop bodies (one call at a time, see {@link #calls}). */
    private final class WinogradCall {
        float[] x, out, bias, v, m;
        Epilogue epilogue;
        /** vs, ms: the strides of the 16 matrices in v and m. */
        int h, w, c, n, tile0, tiles, share, vs, ms;
        /** A thread's tiles of the band, from transformed input through the 16 products to the outputs. */
        final WorkerPool.RangeBody body = (lo, hi, ws) -> {
            for (int p = lo; p < hi; p++) {
                int t0 = Math.min(tiles, p * share), t1 = Math.min(tiles, t0 + share);
                if (t0 == t1) continue;
                inputTransform(this, t0, t1);
                for (int i = 0; i < 16; i++) batchPart(i, t0, t1, ws);
                outputTransform(this, t0, t1);
            }
        };

        void clear() {
            x = out = bias = v = m = null;
            epilogue = null;
        }
    }

    private final WinogradCall winogradCall = new WinogradCall();

    /**
     * The band's tiles [lo, hi): v[ξ] row t (the band's tile t, its c channels) = (Bᵀ d B)[ξ] of the tile's 4×4
     * input patch d (zeros in the padding), with Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
     */
    private void inputTransform(WinogradCall k, int lo, int hi) {
        final VectorSpecies<Float> species = species();
        int len = species.length(), h = k.h, w = k.w, c = k.c, th = h / 2, tw = w / 2;
        float[] x = k.x;
        float[] v = k.v;
        int vs = k.vs;
        FloatVector zero = FloatVector.zero(species);
        for (int t = lo; t < hi; t++) {
            int g = k.tile0 + t, gr = g / tw, tx = g % tw, b = gr / th, ty = gr % th, vo = t * c;
            // the patch's rows (−1: in the padding) and whether its columns lie inside (the middle two always do: the
            // height and width are even)
            int y0 = 2 * ty - 1, x0 = 2 * tx - 1;
            int row0 = y0 >= 0 ? (b * h + y0) * w : -1, row1 = (b * h + y0 + 1) * w, row2 = (b * h + y0 + 2) * w,
                    row3 = y0 + 3 < h ? (b * h + y0 + 3) * w : -1;
            boolean col0 = x0 >= 0, col1 = true, col2 = true, col3 = x0 + 3 < w;
            for (int ch = 0; ch < c; ch += len) {
                // t = Bᵀ d, a row of four vectors at a time; then each row times B
                FloatVector d00 = load(x, row0, col0, x0, c, ch, zero), d01 = load(x, row0, col1, x0 + 1, c, ch, zero),
                        d02 = load(x, row0, col2, x0 + 2, c, ch, zero), d03 = load(x, row0, col3, x0 + 3, c, ch, zero);
                FloatVector d10 = load(x, row1, col0, x0, c, ch, zero), d11 = load(x, row1, col1, x0 + 1, c, ch, zero),
                        d12 = load(x, row1, col2, x0 + 2, c, ch, zero), d13 = load(x, row1, col3, x0 + 3, c, ch, zero);
                FloatVector d20 = load(x, row2, col0, x0, c, ch, zero), d21 = load(x, row2, col1, x0 + 1, c, ch, zero),
                        d22 = load(x, row2, col2, x0 + 2, c, ch, zero), d23 = load(x, row2, col3, x0 + 3, c, ch, zero);
                FloatVector d30 = load(x, row3, col0, x0, c, ch, zero), d31 = load(x, row3, col1, x0 + 1, c, ch, zero),
                        d32 = load(x, row3, col2, x0 + 2, c, ch, zero), d33 = load(x, row3, col3, x0 + 3, c, ch, zero);
                FloatVector t00 = d00.sub(d20), t01 = d01.sub(d21), t02 = d02.sub(d22), t03 = d03.sub(d23);
                FloatVector t10 = d10.add(d20), t11 = d11.add(d21), t12 = d12.add(d22), t13 = d13.add(d23);
                FloatVector t20 = d20.sub(d10), t21 = d21.sub(d11), t22 = d22.sub(d12), t23 = d23.sub(d13);
                FloatVector t30 = d10.sub(d30), t31 = d11.sub(d31), t32 = d12.sub(d32), t33 = d13.sub(d33);
                int o = vo + ch;
                t00.sub(t02).intoArray(v, o);
                t01.add(t02).intoArray(v, vs + o);
                t02.sub(t01).intoArray(v, 2 * vs + o);
                t01.sub(t03).intoArray(v, 3 * vs + o);
                t10.sub(t12).intoArray(v, 4 * vs + o);
                t11.add(t12).intoArray(v, 5 * vs + o);
                t12.sub(t11).intoArray(v, 6 * vs + o);
                t11.sub(t13).intoArray(v, 7 * vs + o);
                t20.sub(t22).intoArray(v, 8 * vs + o);
                t21.add(t22).intoArray(v, 9 * vs + o);
                t22.sub(t21).intoArray(v, 10 * vs + o);
                t21.sub(t23).intoArray(v, 11 * vs + o);
                t30.sub(t32).intoArray(v, 12 * vs + o);
                t31.add(t32).intoArray(v, 13 * vs + o);
                t32.sub(t31).intoArray(v, 14 * vs + o);
                t31.sub(t33).intoArray(v, 15 * vs + o);
            }
        }
    }

    /**
     * The distance between two of the 16 matrices of size floats in one array: whole 1 KB blocks plus 64 bytes, so that
     * the transforms' 16 streams at the same place in each fall into different sets of the L1 cache (16 separate
     * arrays of 4 KB multiples would alias in sets, and how badly would depend on where the heap put them).
     */
    static int stride(int size) {
        return (size + 255) / 256 * 256 + 16;
    }

    /** Channels [ch, ch+len) of input pixel (row at rowAt, column col), or zeros in the padding. */
    private FloatVector load(float[] x, int rowAt, boolean colIn, int col, int c, int ch, FloatVector zero) {
        return rowAt < 0 || !colIn ? zero : FloatVector.fromArray(species(), x, (rowAt + col) * c + ch);
    }

    /**
     * The band's tiles [lo, hi): each one's 2×2 outputs Aᵀ M A (M: the 16 products' row t), Aᵀ = [[1, 1, 1, 0],
     * [0, 1, −1, −1]], plus the bias, then the epilogue (a ReLU; a residual added to what out holds, then a ReLU).
     */
    private void outputTransform(WinogradCall k, int lo, int hi) {
        final VectorSpecies<Float> species = species();
        int len = species.length(), h = k.h, w = k.w, n = k.n, th = h / 2, tw = w / 2;
        float[] out = k.out, bias = k.bias;
        float[] m = k.m;
        int ms = k.ms;
        boolean relu = k.epilogue == Epilogue.RELU || k.epilogue == Epilogue.RESIDUAL_RELU, residual = k.epilogue.accumulates();
        FloatVector zero = FloatVector.zero(species);
        for (int t = lo; t < hi; t++) {
            int g = k.tile0 + t, gr = g / tw, tx = g % tw, b = gr / th, ty = gr % th;
            int top = ((b * h + 2 * ty) * w) * n, bottom = top + w * n, mo = t * n, left = 2 * tx * n;
            for (int o = 0; o < n; o += len) {
                int i = mo + o;
                FloatVector m0 = FloatVector.fromArray(species, m, i), m1 = FloatVector.fromArray(species, m, ms + i),
                        m2 = FloatVector.fromArray(species, m, 2 * ms + i), m3 = FloatVector.fromArray(species, m, 3 * ms + i);
                FloatVector m4 = FloatVector.fromArray(species, m, 4 * ms + i), m5 = FloatVector.fromArray(species, m, 5 * ms + i),
                        m6 = FloatVector.fromArray(species, m, 6 * ms + i), m7 = FloatVector.fromArray(species, m, 7 * ms + i);
                FloatVector m8 = FloatVector.fromArray(species, m, 8 * ms + i), m9 = FloatVector.fromArray(species, m, 9 * ms + i),
                        m10 = FloatVector.fromArray(species, m, 10 * ms + i), m11 = FloatVector.fromArray(species, m, 11 * ms + i);
                FloatVector m12 = FloatVector.fromArray(species, m, 12 * ms + i), m13 = FloatVector.fromArray(species, m, 13 * ms + i),
                        m14 = FloatVector.fromArray(species, m, 14 * ms + i), m15 = FloatVector.fromArray(species, m, 15 * ms + i);
                // s = Aᵀ M (two rows of four), then each row times A
                FloatVector s00 = m0.add(m4).add(m8), s01 = m1.add(m5).add(m9), s02 = m2.add(m6).add(m10), s03 = m3.add(m7).add(m11);
                FloatVector s10 = m4.sub(m8).sub(m12), s11 = m5.sub(m9).sub(m13), s12 = m6.sub(m10).sub(m14), s13 = m7.sub(m11).sub(m15);
                FloatVector bv = bias == null ? zero : FloatVector.fromArray(species, bias, o);
                FloatVector y00 = s00.add(s01).add(s02).add(bv), y01 = s01.sub(s02).sub(s03).add(bv);
                FloatVector y10 = s10.add(s11).add(s12).add(bv), y11 = s11.sub(s12).sub(s13).add(bv);
                int o00 = top + left + o, o01 = o00 + n, o10 = bottom + left + o, o11 = o10 + n;
                if (residual) {
                    y00 = FloatVector.fromArray(species, out, o00).add(y00);
                    y01 = FloatVector.fromArray(species, out, o01).add(y01);
                    y10 = FloatVector.fromArray(species, out, o10).add(y10);
                    y11 = FloatVector.fromArray(species, out, o11).add(y11);
                }
                if (relu) {
                    y00 = y00.max(zero);
                    y01 = y01.max(zero);
                    y10 = y10.max(zero);
                    y11 = y11.max(zero);
                }
                y00.intoArray(out, o00);
                y01.intoArray(out, o01);
                y10.intoArray(out, o10);
                y11.intoArray(out, o11);
            }
        }
    }

    /** The weight's 16 transforms: kept for a mapped weight (from its first use on), made per call for one on the heap. */
    private Transformed transformedWeights(Tensor weight, int n, int c) {
        if (!weight.data().isNative()) return transform(weight, n, c);
        SegmentKey key = new SegmentKey(weight.data());
        Transformed hit = transformed.get(key);
        if (hit != null) return hit;
        transformed.keySet().removeIf(e -> !e.segment().scope().isAlive());
        return transformed.computeIfAbsent(key, kk -> transform(weight, n, c));
    }

    /**
     * U = G g Gᵀ of every (output, input channel) pair's 3×3 kernel g (the weight [n, 3·3·c], K ordered ky, kx, c),
     * with G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]], computed in double and rounded once; the 16 [n, c]
     * matrices packed as panels.
     */
    static Transformed transform(Tensor weight, int n, int c) {
        float[] row = new float[9 * c];
        float[][] u = new float[16][n * c];
        double[] g = new double[9], t = new double[12];
        for (int o = 0; o < n; o++) {
            decodeRow(weight, o, 0, 9 * c, 9 * c, row, 0);
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < 9; p++) g[p] = row[p * c + ch];
                // t = G g (4×3), then U = t Gᵀ (4×4)
                for (int j = 0; j < 3; j++) {
                    double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                    t[j] = g0;
                    t[3 + j] = (g0 + g1 + g2) / 2;
                    t[6 + j] = (g0 - g1 + g2) / 2;
                    t[9 + j] = g2;
                }
                for (int i = 0; i < 4; i++) {
                    double a = t[3 * i], b = t[3 * i + 1], cc = t[3 * i + 2];
                    int at = o * c + ch;
                    u[4 * i][at] = (float) a;
                    u[4 * i + 1][at] = (float) ((a + b + cc) / 2);
                    u[4 * i + 2][at] = (float) ((a - b + cc) / 2);
                    u[4 * i + 3][at] = (float) cc;
                }
            }
        }
        Tensor[] shapes = new Tensor[16];
        Panels[] panels = new Panels[16];
        long bytes = (long) WeightPanels.panels(n) * c * WeightPanels.COLS * Float.BYTES;
        for (int xi = 0; xi < 16; xi++) {
            MemorySegment dst = Arena.ofAuto().allocate(bytes, 64);
            WeightPanels.pack(new Tensor("winograd", DType.F32, new long[]{n, c}, MemorySegment.ofArray(u[xi])), n, c, dst);
            panels[xi] = new Panels(dst, DType.F32);
            // the products read only the panels; the tensor stands for the [n, c] shape
            shapes[xi] = new Tensor("winograd." + xi, DType.F32, new long[]{n, c}, dst.asSlice(0, (long) n * c * Float.BYTES));
        }
        return new Transformed(shapes, panels);
    }

    @Override
    public void close() {
        transformed.clear();
        super.close();
    }
}
