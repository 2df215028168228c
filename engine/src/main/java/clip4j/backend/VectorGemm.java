package clip4j.backend;

import clip4j.io.DType;
import clip4j.io.HalfFloats;
import clip4j.io.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * y = x·Wᵀ + b on the Vector API: a BLIS-style packed GEMM (weights packed once into K-major panels, input packed
 * once per call, register-tiled micro-kernel) and a dot-product kernel for few rows of weights that are not kept.
 */
abstract sealed class VectorGemm extends VectorKernels permits VectorAttention {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Buffers, one per use so none grows to another's shape: the workers' own, and the call's (the packed input). */
    private static final Workspace.Buffer PAIR = Workspace.buffer("linear.pair"), PANEL = Workspace.buffer("linear.panel"),
            ROW = Workspace.buffer("linear.row"), TILE = Workspace.buffer("linear.tile"), PACKED_INPUT = Workspace.buffer("linear.input"),
            PRODUCT = Workspace.buffer("linear.product");

    VectorGemm(int threads, boolean packOnce) {
        super(threads);
        this.packOnce = packOnce;
    }

    /** From this many input rows on, packing the weights per call pays for itself (ViT-B/32 at batch 1 vs 8). */
    static final int PACKED_MIN_ROWS = 96;

    /**
     * Weight matrices of the mapped model file packed once into panels and kept on the heap (the size of the weights
     * as stored: f16/bf16 stay 16-bit), unless the options say to pack per call.
     */
    private final boolean packOnce;
    private final java.util.concurrent.ConcurrentHashMap<SegmentKey, Panels> packed = new java.util.concurrent.ConcurrentHashMap<>();
    /** Weights used once so far (packed on their next use). */
    private final java.util.Set<SegmentKey> seenOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Cache key: the weight's segment object itself (a model keeps its tensors for its lifetime), never its address,
     * which a later mapping may reuse; entries of closed models are dropped when the next weight is packed.
     */
    private record SegmentKey(MemorySegment segment) {
        @Override
        public boolean equals(Object o) {
            return o instanceof SegmentKey other && other.segment == segment;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(segment);
        }
    }

    /**
     * Two kernels: the packed outer-product GEMM for weights packed once (mapped model files) or for many rows, and
     * the dot-product kernel for few rows of weights that are not kept (heap matrices, or packing switched off).
     * With packed weights even one prompt (8 rows) runs faster on the GEMM: its micro-kernel needs no horizontal
     * reductions (ViT-B/32 prompt at 2 threads: 5.1 ms dot-product, 4.2 ms packed).
     */
    @Override
    public void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] out, Epilogue epilogue) {
        ScalarBackend.checkLinear(x, m, k, w, bias, out);
        boolean keep = packOnce && w.data().isNative();
        beginCall();
        try {
            if (keep || m >= PACKED_MIN_ROWS) {
                linearPacked(x, m, k, w, bias, out, epilogue, keep ? packedOnce(w) : null);
            } else {
                int n = Math.toIntExact(w.shape()[0]);
                float[] product = epilogue == Epilogue.RESIDUAL ? callWorkspace.floats(PRODUCT, m * n) : out;
                linearDot(x, m, k, w, bias, product);
                for (int i = 0; i < m; i++) applyEpilogue(epilogue, product, out, i * n, n);
            }
        } finally {
            calls.unlock();
        }
    }

    /** The epilogue on out[off, off+len): the activation in place, or out += product for a residual. */
    private void applyEpilogue(Epilogue e, float[] product, float[] out, int off, int len) {
        switch (e) {
            case NONE -> {
            }
            case QUICK_GELU -> quickGelu(out, off, len);
            case GELU -> gelu(out, off, len);
            case RESIDUAL -> add(out, product, off, len);
        }
    }

    /**
     * A weight packed once, K-major per panel of NR columns (panel p at p·K·NR, element (t, c) at t·NR + c): f32
     * weights as floats; f16 and bf16 weights keep their 16 bits (half the memory) and each K block of a panel group
     * is widened per call, a contiguous copy.
     */
    private record Panels(float[] f32, short[] half, DType dtype) {
    }

    /**
     * The weight's panels packed once, from its second use on; null on its first, which packs per call into the
     * workers' buffers instead (the same panels, so the same bits): a process that runs a model once (one image, one
     * prompt) never pays for a heap copy of every matrix, while a stream of calls packs each once.
     */
    private Panels packedOnce(Tensor w) {
        SegmentKey key = new SegmentKey(w.data());
        Panels hit = packed.get(key);
        if (hit != null) return hit;
        if (seenOnce.add(key)) return null;
        packed.keySet().removeIf(e -> !e.segment().scope().isAlive());
        seenOnce.removeIf(e -> !e.segment().scope().isAlive());
        return packed.computeIfAbsent(key, a -> {
            int nr = 2 * species().length();
            int n = Math.toIntExact(w.shape()[0]), k = Math.toIntExact(w.shape()[1]);
            int panels = (n + nr - 1) / nr;
            DType dt = w.dtype();
            float[] f32 = dt == DType.F32 ? new float[panels * k * nr] : null;
            short[] half = dt == DType.F32 ? null : new short[panels * k * nr];
            pool.parallelFor(panels, (lo, hi, ws) -> {
                float[] row = new float[k];
                for (int p = lo; p < hi; p++) {
                    if (f32 != null) packPanel(w, k, n, p * nr, nr, 0, k, row, f32, p * k * nr);
                    else packHalfPanel(w, k, n, p * nr, nr, half, p * k * nr);
                }
            });
            return new Panels(f32, half, dt);
        });
    }

    /** Like {@link #packPanel} for a whole f16/bf16 panel, keeping the 16-bit patterns. */
    private static void packHalfPanel(Tensor w, int k, int n, int j, int nr, short[] dst, int off) {
        MemorySegment s = w.data();
        for (int c = 0; c < nr; c++) {
            long base = (long) (j + c) * k;
            for (int t = 0; t < k; t++) dst[off + t * nr + c] = j + c < n ? s.getAtIndex(I16, base + t) : 0;
        }
    }

    /**
     * dst[d, d+count) = src[s, s+count) widened from f16 (a scalar loop C2 vectorises with vcvtph2ps) or bf16 (the
     * 16 bits moved to the top of an int, in vectors: as a scalar loop it was not vectorised and ran at a third of
     * the speed). count is a multiple of the vector length (whole panels).
     */
    private void widen(short[] src, int s, DType dt, float[] dst, int d, int count) {
        if (dt == DType.F16) {
            for (int i = 0; i < count; i++) dst[d + i] = Float.float16ToFloat(src[s + i]);
            return;
        }
        VectorSpecies<Float> species = species();
        VectorSpecies<Short> halves = halfSpecies();
        for (int i = 0; i < count; i += species.length()) {
            ShortVector h = ShortVector.fromArray(halves, src, s + i);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, intSpecies(), 0);
            bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, d + i);
        }
    }

    /**
     * Dot-product kernel: each task takes a static share of weight row pairs; f32 weights are read straight from the
     * mapped segment (each byte once: for few rows the weights' memory traffic is the cost), f16/bf16 pairs are
     * widened into a per-thread scratch first. Each pair sweeps all input rows while it sits in L1.
     */
    private void linearDot(float[] x, int m, int k, Tensor w, float[] bias, float[] out) {
        LinearCall c = linearCall.set(x, m, k, w, bias, out);
        try {
            pool.parallelFor((c.n + 1) / 2, c.dot);
        } finally {
            c.clear();
        }
    }

    private void dotPart(LinearCall c, int lo, int hi, Workspace ws) {
        int k = c.k, n = c.n;
        boolean direct = c.w.dtype() == DType.F32;
        float[] pair = direct ? null : ws.floats(PAIR, 2 * k);
        MemorySegment src = direct ? c.w.data() : MemorySegment.ofArray(pair);
        for (int p = lo; p < hi; p++) {
            int j = 2 * p;
            boolean two = j + 1 < n;
            long o0 = 4L * j * k, o1 = two ? o0 + 4L * k : o0;
            if (!direct) {
                decodeRow(c.w, j, 0, k, k, pair, 0);
                decodeRow(c.w, two ? j + 1 : j, 0, k, k, pair, k);
                o0 = 0;
                o1 = 4L * k;
            }
            linearPair(c.x, c.m, k, src, o0, o1, c.out, n, j, two, c.bias);
        }
    }

    /**
     * The running linear call's arguments and loop bodies (one call at a time, under {@link #calls}): a lambda
     * capturing the arguments would be allocated on every call, and steady-state inference allocates nothing.
     */
    private final class LinearCall {
        float[] x, bias, out, packedA, product;
        Panels prepacked;
        Tensor w;
        Epilogue epilogue = Epilogue.NONE;
        int m, k, n, mPad;
        final WorkerPool.RangeBody dot = (lo, hi, ws) -> dotPart(this, lo, hi, ws);
        final WorkerPool.RangeBody packInput = (lo, hi, ws) -> packInputPart(this, lo, hi);
        final WorkerPool.RangeBody gemm = (lo, hi, ws) -> gemmPart(this, lo, hi, ws);

        LinearCall set(float[] x, int m, int k, Tensor w, float[] bias, float[] out) {
            this.x = x;
            this.m = m;
            this.k = k;
            this.w = w;
            this.bias = bias;
            this.out = out;
            this.n = Math.toIntExact(w.shape()[0]);
            return this;
        }

        /** Drops the references, so that a finished call keeps no model or activation alive. */
        void clear() {
            x = bias = out = packedA = product = null;
            epilogue = Epilogue.NONE;
            prepacked = null;
            w = null;
        }
    }

    private final LinearCall linearCall = new LinearCall();

    // ---- linear: y = x·Wᵀ + b, BLIS-style packed GEMM ------------------------------------------------------------

    /** Micro-tile rows; with two vectors of columns that is 16 accumulators (of 32 vector registers). */
    private static final int MR = 8;
    /**
     * K block: a packed weight panel of KC × 2 vectors (96 KB at 512 bits) stays in L2. Measured on ViT-B/32 (batch 8 /
     * batch 1, ms per image): KC 128: 37.3 / 49.8, 256: 32.2 / 42.0, 512: 29.6 / 39.5, 768: 27.7 / 35.6, 3072: 27.5 / 36.0.
     */
    private static final int KC = 768;
    /** Input rows swept by a panel group while they stay in L2 (a multiple of MR; 48, 96, 192 or all measured alike). */
    private static final int MC = 96;
    /** Weight panels packed together (about 256 KB at 512 bits: an L2 share). */
    private static final int PANELS = 8;

    /**
     * Outer-product GEMM: the input is packed once per call (MR-row groups, K-major per K block) for all tasks; per task
     * (a static share of the output columns) the weight panels of NR = 2 vector lengths of columns come packed once
     * (f32), widened per K block (f16/bf16 panels) or packed per call (weights not kept), and a register-blocked
     * micro-kernel broadcasts MR inputs against the panel's two vectors and writes the tile from its registers (first
     * K block, plus bias) or adds it to the output (later K blocks). No horizontal reductions; each output is summed in
     * k order by one thread, so results do not depend on the thread count.
     */
    private void linearPacked(float[] x, int m, int k, Tensor w, float[] bias, float[] out, Epilogue epilogue, Panels prepacked) {
        LinearCall c = linearCall.set(x, m, k, w, bias, out);
        c.epilogue = epilogue;
        // a residual's product goes to a buffer first, added to out column group by column group as each is finished
        c.product = epilogue == Epilogue.RESIDUAL ? callWorkspace.floats(PRODUCT, m * c.n) : out;
        int nr = 2 * species().length();
        int panels = (c.n + nr - 1) / nr;
        c.bias = bias != null ? bias : zeros(panels * nr);
        c.prepacked = prepacked;
        // the input packed once for all tasks: K block pc at pc·mPad, its MR-row group from row r at r·kc
        c.mPad = (m + MR - 1) / MR * MR;
        c.packedA = callWorkspace.floats(PACKED_INPUT, c.mPad * k);
        try {
            pool.parallelFor(c.mPad / MR, c.packInput);
            pool.parallelFor(panels, c.gemm);
        } finally {
            c.clear();
        }
    }

    private void packInputPart(LinearCall c, int lo, int hi) {
        int k = c.k;
        for (int g = lo; g < hi; g++) {
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packRows(c.x, c.m, k, g * MR, pc, kc, c.packedA, pc * c.mPad + g * MR * kc);
            }
        }
    }

    /** Output panels [lo, hi) of a packed GEMM. */
    private void gemmPart(LinearCall c, int lo, int hi, Workspace ws) {
        int nr = 2 * species().length();
        int m = c.m, k = c.k, n = c.n, mPad = c.mPad;
        Panels prepacked = c.prepacked;
        float[] packedA = c.packedA, out = c.product, b0 = c.bias;
        boolean direct = prepacked != null && prepacked.f32() != null;
        float[] packedB = ws.floats(PANEL, PANELS * KC * nr), row = ws.floats(ROW, k), tile = ws.floats(TILE, MR * nr);
        for (int p0 = lo; p0 < hi; p0 += PANELS) {
            int p1 = Math.min(hi, p0 + PANELS);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                if (prepacked == null) {
                    for (int p = p0; p < p1; p++) packPanel(c.w, k, n, p * nr, nr, pc, kc, row, packedB, (p - p0) * KC * nr);
                } else if (!direct) {
                    for (int p = p0; p < p1; p++) widen(prepacked.half(), p * k * nr + pc * nr, prepacked.dtype(), packedB, (p - p0) * KC * nr, kc * nr);
                }
                float[] b = direct ? prepacked.f32() : packedB;
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    for (int p = p0; p < p1; p++) {
                        int j = p * nr, cols = Math.min(nr, n - j);
                        for (int rb = 0; rb < mc; rb += MR) {
                            int bo = direct ? p * k * nr + pc * nr : (p - p0) * KC * nr;
                            int rows = Math.min(MR, mc - rb), o = (ic + rb) * n + j, ao = pc * mPad + (ic + rb) * kc;
                            if (rows == MR && cols == nr) {
                                microKernel(packedA, ao, b, bo, kc, out, o, n, pc == 0, b0, j);
                            } else {
                                if (rows <= 4) edgeKernel(packedA, ao, b, bo, kc, tile);
                                else microKernel(packedA, ao, b, bo, kc, tile, 0, nr, true, zeros(nr), 0);
                                for (int rr = 0; rr < rows; rr++) {
                                    for (int cc = 0; cc < cols; cc++) {
                                        int oi = o + rr * n + cc;
                                        out[oi] = pc == 0 ? tile[rr * nr + cc] + b0[j + cc] : out[oi] + tile[rr * nr + cc];
                                    }
                                }
                            }
                        }
                    }
                }
            }
            // the epilogue on this group's finished columns, while they are still in cache
            if (c.epilogue != Epilogue.NONE) {
                int j0 = p0 * nr, cols = Math.min(p1 * nr, n) - j0;
                for (int i = 0; i < m; i++) applyEpilogue(c.epilogue, out, c.out, i * n + j0, cols);
            }
        }
    }

    private volatile float[] zeros = new float[0];

    /** A shared array of at least n zeros (the bias of a weight without one). */
    private float[] zeros(int n) {
        float[] z = zeros;
        if (z.length < n) zeros = z = new float[n];
        return z;
    }

    /** Columns j..j+nr of W (rows of the [n, k] weight), k range [pc, pc+kc), K-major: dst[t·nr + c]; zero past n. */
    private static void packPanel(Tensor w, int k, int n, int j, int nr, int pc, int kc, float[] row, float[] dst, int off) {
        for (int c = 0; c < nr; c++) {
            if (j + c < n) {
                decodeRow(w, j + c, pc, kc, k, row, 0);
                for (int t = 0; t < kc; t++) dst[off + t * nr + c] = row[t];
            } else {
                for (int t = 0; t < kc; t++) dst[off + t * nr + c] = 0f;
            }
        }
    }

    /** Rows r0..r0+MR of x (zero past m), k range [pc, pc+kc), K-major: dst[off + t·MR + r]. */
    private static void packRows(float[] x, int m, int k, int r0, int pc, int kc, float[] dst, int off) {
        for (int r = 0; r < MR; r++) {
            if (r0 + r < m) {
                int src = (r0 + r) * k + pc;
                for (int t = 0; t < kc; t++) dst[off + t * MR + r] = x[src + t];
            } else {
                for (int t = 0; t < kc; t++) dst[off + t * MR + r] = 0f;
            }
        }
    }

    /**
     * The first 4 rows of an MR-row group times the panel, stored to tile rows 0-3 (row stride NR): the last row
     * group of a short input (one ViT-B/32 image has 50 rows: 6 groups of 8 and one of 2) costs half an 8-row tile.
     */
    private void edgeKernel(float[] a, int ao, float[] b, int bo, int kc, float[] tile) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        FloatVector c00 = FloatVector.zero(species), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int t = 0, pa = ao, pb = bo; t < kc; t++, pa += MR, pb += 2 * len) {
            FloatVector b0 = FloatVector.fromArray(species, b, pb);
            FloatVector b1 = FloatVector.fromArray(species, b, pb + len);
            FloatVector x0 = FloatVector.broadcast(species, a[pa]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(species, a[pa + 1]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(species, a[pa + 2]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(species, a[pa + 3]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
        }
        int nr = 2 * len;
        c00.intoArray(tile, 0);
        c01.intoArray(tile, len);
        c10.intoArray(tile, nr);
        c11.intoArray(tile, nr + len);
        c20.intoArray(tile, 2 * nr);
        c21.intoArray(tile, 2 * nr + len);
        c30.intoArray(tile, 3 * nr);
        c31.intoArray(tile, 3 * nr + len);
    }

    /**
     * The product A_packed(MR × kc) · B_panel(kc × NR) into MR rows of dst (row stride {@code stride}, first at o),
     * straight from the accumulator registers: plus bias[j, j+NR) when {@code first} (the first K block), else plus
     * what dst holds. Bias is never null (zeros stand in) and both branches run in the first linear of a pass (the
     * patch embedding has no bias and several K blocks): a branch first taken late would send the compiled kernel
     * back to the interpreter mid-run.
     */
    private void microKernel(float[] a, int ao, float[] b, int bo, int kc, float[] dst, int o, int stride, boolean first,
                             float[] bias, int j) {
        final VectorSpecies<Float> species = species();
        int len = species.length();
        FloatVector c00 = FloatVector.zero(species), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int t = 0, pa = ao, pb = bo; t < kc; t++, pa += MR, pb += 2 * len) {
            FloatVector b0 = FloatVector.fromArray(species, b, pb);
            FloatVector b1 = FloatVector.fromArray(species, b, pb + len);
            FloatVector x0 = FloatVector.broadcast(species, a[pa]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(species, a[pa + 1]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(species, a[pa + 2]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(species, a[pa + 3]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(species, a[pa + 4]);
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(species, a[pa + 5]);
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            FloatVector x6 = FloatVector.broadcast(species, a[pa + 6]);
            c60 = x6.fma(b0, c60);
            c61 = x6.fma(b1, c61);
            FloatVector x7 = FloatVector.broadcast(species, a[pa + 7]);
            c70 = x7.fma(b0, c70);
            c71 = x7.fma(b1, c71);
        }
        if (first) {
            FloatVector b0 = FloatVector.fromArray(species, bias, j), b1 = FloatVector.fromArray(species, bias, j + len);
            c00 = c00.add(b0);
            c01 = c01.add(b1);
            c10 = c10.add(b0);
            c11 = c11.add(b1);
            c20 = c20.add(b0);
            c21 = c21.add(b1);
            c30 = c30.add(b0);
            c31 = c31.add(b1);
            c40 = c40.add(b0);
            c41 = c41.add(b1);
            c50 = c50.add(b0);
            c51 = c51.add(b1);
            c60 = c60.add(b0);
            c61 = c61.add(b1);
            c70 = c70.add(b0);
            c71 = c71.add(b1);
        } else {
            c00 = c00.add(FloatVector.fromArray(species, dst, o));
            c01 = c01.add(FloatVector.fromArray(species, dst, o + len));
            c10 = c10.add(FloatVector.fromArray(species, dst, o + stride));
            c11 = c11.add(FloatVector.fromArray(species, dst, o + stride + len));
            c20 = c20.add(FloatVector.fromArray(species, dst, o + 2 * stride));
            c21 = c21.add(FloatVector.fromArray(species, dst, o + 2 * stride + len));
            c30 = c30.add(FloatVector.fromArray(species, dst, o + 3 * stride));
            c31 = c31.add(FloatVector.fromArray(species, dst, o + 3 * stride + len));
            c40 = c40.add(FloatVector.fromArray(species, dst, o + 4 * stride));
            c41 = c41.add(FloatVector.fromArray(species, dst, o + 4 * stride + len));
            c50 = c50.add(FloatVector.fromArray(species, dst, o + 5 * stride));
            c51 = c51.add(FloatVector.fromArray(species, dst, o + 5 * stride + len));
            c60 = c60.add(FloatVector.fromArray(species, dst, o + 6 * stride));
            c61 = c61.add(FloatVector.fromArray(species, dst, o + 6 * stride + len));
            c70 = c70.add(FloatVector.fromArray(species, dst, o + 7 * stride));
            c71 = c71.add(FloatVector.fromArray(species, dst, o + 7 * stride + len));
        }
        c00.intoArray(dst, o);
        c01.intoArray(dst, o + len);
        c10.intoArray(dst, o + stride);
        c11.intoArray(dst, o + stride + len);
        c20.intoArray(dst, o + 2 * stride);
        c21.intoArray(dst, o + 2 * stride + len);
        c30.intoArray(dst, o + 3 * stride);
        c31.intoArray(dst, o + 3 * stride + len);
        c40.intoArray(dst, o + 4 * stride);
        c41.intoArray(dst, o + 4 * stride + len);
        c50.intoArray(dst, o + 5 * stride);
        c51.intoArray(dst, o + 5 * stride + len);
        c60.intoArray(dst, o + 6 * stride);
        c61.intoArray(dst, o + 6 * stride + len);
        c70.intoArray(dst, o + 7 * stride);
        c71.intoArray(dst, o + 7 * stride + len);
    }

    /** Elements [from, from+count) of row j of an [n, k] weight as floats (f32 copied, f16/bf16 widened). */
    static void decodeRow(Tensor w, int j, int from, int count, int k, float[] dst, int off) {
        MemorySegment s = w.data();
        long base = (long) j * k + from;
        DType dt = w.dtype();
        switch (dt) {
            case F32 -> MemorySegment.copy(s, F32, base * 4, dst, off, count);
            case F16 -> {
                for (int t = 0; t < count; t++) dst[off + t] = Float.float16ToFloat(s.getAtIndex(I16, base + t));
            }
            case BF16 -> {
                for (int t = 0; t < count; t++) dst[off + t] = HalfFloats.bf16ToFloat(s.getAtIndex(I16, base + t));
            }
            default -> throw new IllegalArgumentException("weights must be f32, f16 or bf16, not " + dt);
        }
    }

    /** Output columns j and j+1 (when two) for input rows [0, m): weight rows at byte offsets o0 and o1 of src. */
    private void linearPair(float[] x, int m, int k, MemorySegment src, long o0, long o1, float[] out, int n, int j,
                            boolean two, float[] bias) {
        final VectorSpecies<Float> species = species();
        float b0 = bias == null ? 0f : bias[j];
        float b1 = bias == null || !two ? 0f : bias[j + 1];
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            FloatVector a00 = FloatVector.zero(species), a01 = a00, a10 = a00, a11 = a00;
            FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
            int t = 0;
            int ub = species.loopBound(k);
            for (; t < ub; t += species.length()) {
                FloatVector v0 = FloatVector.fromMemorySegment(species, src, o0 + 4L * t, ByteOrder.LITTLE_ENDIAN);
                FloatVector v1 = FloatVector.fromMemorySegment(species, src, o1 + 4L * t, ByteOrder.LITTLE_ENDIAN);
                FloatVector u = FloatVector.fromArray(species, x, x0 + t);
                a00 = u.fma(v0, a00);
                a01 = u.fma(v1, a01);
                u = FloatVector.fromArray(species, x, x1 + t);
                a10 = u.fma(v0, a10);
                a11 = u.fma(v1, a11);
                u = FloatVector.fromArray(species, x, x2 + t);
                a20 = u.fma(v0, a20);
                a21 = u.fma(v1, a21);
                u = FloatVector.fromArray(species, x, x3 + t);
                a30 = u.fma(v0, a30);
                a31 = u.fma(v1, a31);
            }
            float s00 = sumLanes(a00), s01 = sumLanes(a01);
            float s10 = sumLanes(a10), s11 = sumLanes(a11);
            float s20 = sumLanes(a20), s21 = sumLanes(a21);
            float s30 = sumLanes(a30), s31 = sumLanes(a31);
            for (; t < k; t++) {
                float w0 = src.get(F32, o0 + 4L * t), w1 = src.get(F32, o1 + 4L * t);
                s00 += x[x0 + t] * w0;
                s01 += x[x0 + t] * w1;
                s10 += x[x1 + t] * w0;
                s11 += x[x1 + t] * w1;
                s20 += x[x2 + t] * w0;
                s21 += x[x2 + t] * w1;
                s30 += x[x3 + t] * w0;
                s31 += x[x3 + t] * w1;
            }
            out[i * n + j] = s00 + b0;
            out[(i + 1) * n + j] = s10 + b0;
            out[(i + 2) * n + j] = s20 + b0;
            out[(i + 3) * n + j] = s30 + b0;
            if (two) {
                out[i * n + j + 1] = s01 + b1;
                out[(i + 1) * n + j + 1] = s11 + b1;
                out[(i + 2) * n + j + 1] = s21 + b1;
                out[(i + 3) * n + j + 1] = s31 + b1;
            }
        }
        for (; i < m; i++) {
            // one leftover row against both weight rows in one pass
            FloatVector a0 = FloatVector.zero(species), a1 = a0;
            int x0 = i * k, t = 0, ub = species.loopBound(k);
            for (; t < ub; t += species.length()) {
                FloatVector u = FloatVector.fromArray(species, x, x0 + t);
                a0 = u.fma(FloatVector.fromMemorySegment(species, src, o0 + 4L * t, ByteOrder.LITTLE_ENDIAN), a0);
                a1 = u.fma(FloatVector.fromMemorySegment(species, src, o1 + 4L * t, ByteOrder.LITTLE_ENDIAN), a1);
            }
            float s0 = sumLanes(a0), s1 = sumLanes(a1);
            for (; t < k; t++) {
                s0 += x[x0 + t] * src.get(F32, o0 + 4L * t);
                s1 += x[x0 + t] * src.get(F32, o1 + 4L * t);
            }
            out[i * n + j] = s0 + b0;
            if (two) out[i * n + j + 1] = s1 + b1;
        }
    }

    @Override
    public void close() {
        packed.clear();
        super.close();
    }
}
