package clip4j.backend;

import clip4j.io.DType;
import clip4j.io.HalfFloats;
import clip4j.io.Safetensors;
import clip4j.io.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * y = x·Wᵀ + b on the Vector API: a BLIS-style packed GEMM (weights in 16-column K-major panels ({@link WeightPanels}),
 * the input packed per call, register-tiled micro-kernels of {@link VectorMicroKernels}, blocked as a {@link GemmPlan}
 * says) and a dot-product kernel for few rows of weights that are not kept.
 */
abstract sealed class VectorGemm extends VectorMicroKernels permits VectorWinograd {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Buffers, one per use so none grows to another's shape: the workers' own, and the call's (the packed input). */
    private static final Workspace.Buffer PAIR = Workspace.buffer("linear.pair"), BLOCK = Workspace.buffer("linear.block"),
            ROW = Workspace.buffer("linear.row"), TILE = Workspace.buffer("linear.tile"), PACKED_INPUT = Workspace.buffer("linear.input"),
            LOCAL_INPUT = Workspace.buffer("linear.localInput"),
            PRODUCT = Workspace.buffer("linear.product");

    /**
     * Below this many input rows, 16-bit panels are widened in the micro-kernel's registers; from it on, once per K
     * block into a buffer that all row groups then read. bf16 widens in two vector operations, f16 in seven: for one
     * ViT-B/32 image (50 rows) in registers bf16 ran at 1.03× f32 (0.80–1.0× widened), f16 at 0.62× (0.73–0.84×).
     */
    static final int BF16_IN_PLACE_ROWS = 64, F16_IN_PLACE_ROWS = 16;

    /** From this many input rows on, packing the weights per call pays for itself (ViT-B/32 at batch 1 vs 8). */
    static final int PACKED_MIN_ROWS = 96;

    /**
     * The blocking in use at [0]; at [v] (1 ≤ v < nr), the same with tiles of v vectors (null where no such kernel), for
     * products whose width is not a multiple of the plan's tile but is of a narrower one: 256 or 64 channels under
     * 48-column tiles run 32-column ones rather than a slow remainder (the same bits: a tile's shape does not change
     * any output's sum). One array, so that a reader never pairs a plan with another's narrower ones.
     */
    private volatile GemmPlan[] plans;
    /** Weights of mapped files packed once, in memory, from their second use on (when no panel file holds them). */
    private final boolean packOnce;
    /** Where panel files are kept, or null for none. */
    private final Path panelDir;
    /** Packed weights: from panel files ({@link #prepare}) or packed in memory. */
    private final ConcurrentHashMap<SegmentKey, Panels> packed = new ConcurrentHashMap<>();
    /** Weights used once so far (packed on their next use). */
    private final Set<SegmentKey> seenOnce = ConcurrentHashMap.newKeySet();
    private final List<Safetensors> panelFiles = new ArrayList<>();

    VectorGemm(int threads, GemmPlan plan, boolean packOnce, Path panelDir) {
        super(threads);
        plan(plan);
        this.packOnce = packOnce;
        this.panelDir = panelDir;
    }

    /** The blocking in use. */
    public GemmPlan plan() {
        return plans[0];
    }

    /** Changes the blocking (the tuner's trials). */
    void plan(GemmPlan p) {
        GemmPlan[] all = new GemmPlan[p.nr()];
        all[0] = p;
        for (int v = 1; v < p.nr(); v++) all[v] = hasKernel(p.mr(), v) ? new GemmPlan(p.mr(), v, p.kc(), p.mc(), p.nc(), p.mt()) : null;
        plans = all;
    }

    /** The plan for a product of n columns: the plan itself, or one of narrower tiles that divide n. */
    private GemmPlan planFor(int n) {
        GemmPlan[] all = plans;
        int len = species().length(), nr = all[0].nr();
        // one-vector tiles are not worth it (a load per FMA): 80 channels stay 48 + 32 under 8x3
        if (n % (nr * len) != 0) for (int v = nr - 1; v >= 2; v--) if (all[v] != null && n % (v * len) == 0) return all[v];
        return all[0];
    }

    /**
     * Cache key: the weight's segment object itself (a model keeps its tensors for its lifetime), never its address,
     * which a later mapping may reuse; entries of closed models are dropped when the next weight is packed.
     */
    record SegmentKey(MemorySegment segment) {
        @Override
        public boolean equals(Object o) {
            return o instanceof SegmentKey other && other.segment == segment;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(segment);
        }
    }

    /** A weight in the panel layout of {@link WeightPanels}, f32 or 16-bit as stored. */
    record Panels(MemorySegment data, DType dtype) {
    }

    /**
     * With a panel directory, maps the model's packed weights from their panel file there (made first if missing):
     * from then on every product with them reads the mapped panels, with no copy on the heap.
     */
    @Override
    public void prepare(String source, List<Tensor> matrices) {
        List<WeightPanels.Matrix> ms = matrices.stream().map(WeightPanels.Matrix::of).toList();
        Safetensors file = panelDir == null ? null : WeightPanels.openOrCreate(panelDir, source, ms);
        synchronized (panelFiles) {
            if (file != null) {
                panelFiles.add(file);
                for (WeightPanels.Matrix m : ms) {
                    Tensor t = file.tensors().get(m.tensor().name());
                    packed.put(new SegmentKey(m.tensor().data()), new Panels(t.data(), t.dtype()));
                }
            }
            if (!warmedUp) {
                warmedUp = true;
                // f32 panels are read where they lie in the file; an image's 16-bit ones from the workers' native buffers
                Tensor first = file != null ? file.tensors().get(ms.getFirst().tensor().name()) : null;
                warmUp = WarmUp.start((VectorBackend) this, first != null && first.dtype() == DType.F32 ? first.data()
                        : Arena.ofAuto().allocate(4096, 64));
            }
        }
    }

    /**
     * Runs the mr x nr micro-kernel calls times on a 16-step block of the panels b (4 panels of 16 steps at least),
     * returning the nanoseconds taken: the tuner's warm-up, which gets a kernel compiled at a small fraction of the
     * cost of whole products.
     */
    long warmKernel(int mr, int nr, int calls, MemorySegment b) {
        long t0 = System.nanoTime();
        int len = species().length(), kc = 16;
        float[] a = new float[mr * kc], dst = new float[mr * nr * len], bias = new float[nr * len];
        long bo = kc * PANEL_ROW;
        for (int i = 0; i < calls; i++) microKernel(mr, nr, a, 0, mr, 1, b, 0, bo, 2 * bo, 3 * bo, kc, dst, 0, nr * len, (i & 1) == 0, bias, 0);
        return System.nanoTime() - t0;
    }

    /** Whether the kernels were warmed up (for the backend's first model; under panelFiles' lock). */
    private boolean warmedUp;

    /** Registers a weight's panels (the tuner's). */
    void usePanels(Tensor w, Panels p) {
        packed.put(new SegmentKey(w.data()), p);
    }

    /**
     * Two kernels: the packed outer-product GEMM for packed weights or for many rows, and the dot-product kernel for few
     * rows of weights that are not kept (heap matrices, or packing switched off). With packed weights even one prompt
     * (8 rows) runs faster on the GEMM: its micro-kernel needs no horizontal reductions.
     */
    @Override
    public void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] out, Epilogue epilogue) {
        ScalarBackend.checkLinear(x, m, k, w, bias, out);
        beginCall();
        try {
            linearCalled(x, null, m, k, w, bias, out, epilogue);
        } finally {
            calls.unlock();
        }
    }

    /**
     * The product of x, or with im of x's im2col patches (a convolution), by w. The packed GEMM packs the patches
     * straight from x (an implicit im2col: the patch matrix never exists); the dot-product kernel, for few rows of
     * weights that are not kept, multiplies them gathered.
     */
    private void linearCalled(float[] x, Im2col im, int m, int k, Tensor w, float[] bias, float[] out, Epilogue epilogue) {
        Panels p = panels(w);
        if (p != null || m >= PACKED_MIN_ROWS || (packOnce && w.data().isNative())) {
            linearPacked(x, im, m, k, w, bias, out, epilogue, p);
        } else {
            if (im != null) {
                float[] patches = callWorkspace.floats(CONV_PATCHES, Math.multiplyExact(m, k));
                im.gather(x, patches);
                x = patches;
            }
            int n = Math.toIntExact(w.shape()[0]);
            float[] product = epilogue.accumulates() ? callWorkspace.floats(PRODUCT, m * n) : out;
            linearDot(x, m, k, w, bias, product);
            for (int i = 0; i < m; i++) applyEpilogue(epilogue, product, out, i * n, n);
        }
    }

    /** The epilogue on out[off, off+len): the activation in place, or out += product for a residual (then a ReLU). */
    private void applyEpilogue(Epilogue e, float[] product, float[] out, int off, int len) {
        switch (e) {
            case NONE -> {
            }
            case QUICK_GELU -> quickGelu(out, off, len);
            case GELU -> gelu(out, off, len);
            case RESIDUAL -> add(out, off, product, off, len);
            case RELU -> relu(out, off, len);
            case RESIDUAL_RELU -> addRelu(out, product, off, len);
        }
    }

    /**
     * A convolution as one product over its im2col rows ({@link Im2col}), the patches packed for the GEMM straight
     * from the NHWC input, the weight matrix kept in panels like every weight and the epilogue fused; a 1×1
     * convolution of stride 1 multiplies the input itself.
     */
    @Override
    public void conv2d(float[] x, int batch, int h, int w, int c, Tensor weight, int kernel, float[] bias, int stride, int pad,
                       float[] out, Epilogue epilogue) {
        Im2col im = Im2col.of(batch, h, w, c, kernel, stride, pad);
        im.check(x, weight, bias, out);
        beginCall();
        try {
            linearCalled(x, im.identity() ? null : im, im.rows(), im.cols(), weight, bias, out, epilogue);
        } finally {
            calls.unlock();
        }
    }

    private static final Workspace.Buffer CONV_PATCHES = Workspace.buffer("conv.patches");

    /**
     * The weight's panels: from a panel file, or packed in memory from the weight's second use on; null on its first
     * use, which packs per call into the workers' buffers instead (the same panels, so the same bits).
     */
    private Panels panels(Tensor w) {
        SegmentKey key = new SegmentKey(w.data());
        Panels hit = packed.get(key);
        if (hit != null || !packOnce || !w.data().isNative()) return hit;
        if (seenOnce.add(key)) return null;
        packed.keySet().removeIf(e -> !e.segment().scope().isAlive());
        seenOnce.removeIf(e -> !e.segment().scope().isAlive());
        return packed.computeIfAbsent(key, a -> {
            WeightPanels.Matrix mw = WeightPanels.Matrix.of(w);
            MemorySegment dst = Arena.ofAuto().allocate((long) WeightPanels.panels(mw.n()) * mw.k() * WeightPanels.COLS * w.dtype().bytes, 64);
            WeightPanels.pack(w, mw.n(), mw.k(), dst);
            return new Panels(dst, w.dtype());
        });
    }

    /**
     * One vector of 16-bit panel values at byte offset off, as floats ({@link HalfVectors}, bit for bit as the scalar
     * conversions). (A scalar loop of Float.float16ToFloat over memory segments was not vectorised: f16 models ran at
     * 0.4–0.6× the speed of f32.)
     */
    @Override
    final FloatVector widen(MemorySegment b, long off, boolean f16) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(halfSpecies(), b, off, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, intSpecies(), 0);
        return f16 ? HalfVectors.f16ToFloat(bits) : HalfVectors.bf16ToFloat(bits);
    }

    /** f32 dst[d, d+count) from 16-bit panel values src[s, s+count) (element indices); count a multiple of the vector length. */
    private void widen(MemorySegment src, long s, boolean f16, MemorySegment dst, long d, int count) {
        int len = species().length();
        for (int i = 0; i < count; i += len) widen(src, 2 * (s + i), f16).intoMemorySegment(dst, 4 * (d + i), ByteOrder.LITTLE_ENDIAN);
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
        float[] x, bias, out, packedA;
        /** The convolution whose patches of x are the input, or null for x itself. */
        Im2col im;
        Panels prepacked;
        GemmPlan plan;
        Tensor w;
        Epilogue epilogue = Epilogue.NONE;
        int m, k, n, mPad, partRows, tiles;
        /** Where the input's row 0 and the output's start in x and out (a batch's products share one array each). */
        int xOff, outOff;
        /** Whether each task packs its own input rows (a large input) rather than reading packedA. */
        boolean localA;
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
            xOff = outOff = 0;
            return this;
        }

        /** Drops the references, so that a finished call keeps no model or activation alive. */
        void clear() {
            x = bias = out = packedA = null;
            im = null;
            epilogue = Epilogue.NONE;
            prepacked = null;
            plan = null;
            w = null;
        }
    }

    private final LinearCall linearCall = new LinearCall();

    // ---- linear: y = x·Wᵀ + b, BLIS-style packed GEMM ------------------------------------------------------------

    /**
     * Outer-product GEMM: the input (or a convolution's patches, packed straight from its input) is packed once per
     * call, K-major in mr-row groups per K block, for all tasks, or, when large, by each task a row block at a time
     * into its own buffer, row by row; the tasks take static shares of row parts by column tiles of nr vectors (the
     * plan's mt row parts at least, more when the columns give under two tiles per thread, one per thread for a large
     * input); per task the weight panels come mapped or packed once (f32: read in
     * place), widened per K block (f16/bf16 panels) or packed per call (weights not kept), and a register-tiled
     * micro-kernel broadcasts mr inputs against the tile's nr weight vectors and writes the tile from its registers
     * (first K block, plus bias) or adds it to the output (later K blocks; every block for a residual, whose
     * identity in the output got the bias first). No horizontal reductions; each output is
     * summed in k order by one thread, so results do not depend on the thread count; of the plan, only the K block
     * matters to the bits (where a block's sum is added to the previous ones').
     */
    private void linearPacked(float[] x, Im2col im, int m, int k, Tensor w, float[] bias, float[] out, Epilogue epilogue, Panels prepacked) {
        if (m == 0 || w.shape()[0] == 0) return; // nothing to compute (no rows, or no outputs)
        LinearCall c = linearCall.set(x, m, k, w, bias, out);
        try {
            int items = setUp(c, im, epilogue, prepacked, false);
            if (!c.localA) pool.parallelFor(c.mPad / c.plan.mr(), c.packInput);
            pool.parallelFor(items, c.gemm);
        } finally {
            c.clear();
        }
    }

    /**
     * Sets a packed product up (its plan, the threads' row parts by column tiles, where its input is packed); returns
     * its work items. ownRows: each task packs its own rows whatever the input's size.
     */
    private int setUp(LinearCall c, Im2col im, Epilogue epilogue, Panels prepacked, boolean ownRows) {
        int m = c.m, k = c.k;
        c.im = im;
        GemmPlan pl = c.plan = planFor(c.n);
        c.epilogue = epilogue;
        int tileCols = pl.nr() * species().length();
        int tiles = (c.n + tileCols - 1) / tileCols;
        c.bias = c.bias != null ? c.bias : zeros(c.n);
        c.prepacked = prepacked;
        // few rows packed once for all tasks: K block pc at pc·mPad, its mr-row group from row r at r·kc; many (a
        // convolution's thousands) by each task, a row block at a time, into its own cache-sized buffer, or read where
        // they lie (a plain input)
        c.mPad = (m + pl.mr() - 1) / pl.mr() * pl.mr();
        c.localA = ownRows || m >= LOCAL_INPUT_MIN_ROWS || (long) c.mPad * k > SHARED_INPUT_FLOATS;
        c.packedA = c.localA ? null : callWorkspace.floats(PACKED_INPUT, c.mPad * k);
        // the threads' work: row part by column tile, in that order, so that t = mt·s threads form an mt × s grid; when
        // the columns give too few tiles for two per thread (a convolution to 32 or 64 channels), more row parts
        int groups = c.mPad / pl.mr(), parts = Math.min(Math.max(pl.mt(), (2 * pool.threads() + tiles - 1) / tiles), groups);
        // a large input that each task packs itself: the rows split between the threads, so that none packs another's
        if (c.localA) parts = Math.min(Math.max(parts, pool.threads()), groups);
        c.partRows = (groups + parts - 1) / parts * pl.mr();
        c.tiles = tiles;
        return parts * tiles;
    }

    /** The products of {@link #batch}. */
    private final LinearCall[] batchCalls = new LinearCall[16];

    /**
     * Sets up count (≤ 16) products of the same shape for {@link #batchPart}: product i multiplies the rows of x from
     * i·xStride (row-major [m, k], read in place) by weight i ([n, k] given as its panels, the tensor for its shape
     * only) into out from i·outStride, no bias, no epilogue: a Winograd convolution's 16. Inside an operation (under
     * {@link #calls}); {@link #endBatch} after.
     */
    final void batch(int count, float[] x, int xStride, int m, int k, Tensor[] ws, Panels[] panels, float[] out, int outStride) {
        for (int i = 0; i < count; i++) {
            if (batchCalls[i] == null) batchCalls[i] = new LinearCall();
            LinearCall c = batchCalls[i].set(x, m, k, ws[i], null, out);
            setUp(c, null, Epilogue.NONE, panels[i], true);
            c.xOff = i * xStride;
            c.outOff = i * outStride;
        }
    }

    /** Rows [r0, r1) of the batch's product i, all its columns, on the calling thread (a worker's share). */
    final void batchPart(int i, int r0, int r1, Workspace ws) {
        if (r0 < r1) gemmPart(batchCalls[i], r0, r1, 0, batchCalls[i].tiles, ws);
    }

    /** Drops the batch's references. */
    final void endBatch(int count) {
        for (int i = 0; i < count; i++) if (batchCalls[i] != null) batchCalls[i].clear();
    }

    private void packInputPart(LinearCall c, int lo, int hi) {
        int k = c.k, mr = c.plan.mr(), kcMax = c.plan.kc();
        for (int g = lo; g < hi; g++) {
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                packGroup(c, g * mr, pc, kc, c.packedA, pc * c.mPad + g * mr * kc, false);
            }
        }
    }

    /**
     * The mr-row group of input rows from r0 (zeros past the last), K steps [pc, pc+kc), into dst from off: K-major, or
     * byRow (each row's steps consecutive).
     */
    private static void packGroup(LinearCall c, int r0, int pc, int kc, float[] dst, int off, boolean byRow) {
        if (c.im != null) c.im.packRows(c.x, c.plan.mr(), r0, pc, kc, dst, off, byRow);
        else packRows(c.x, c.xOff, c.m, c.k, c.plan.mr(), r0, pc, kc, dst, off, byRow);
    }

    /**
     * From this many input rows on, or above this many packed input floats (2 MB), each task takes a share of the rows
     * and packs them per row block into its own buffer, which stays in cache, row by row (a plain input's rows are
     * read where they lie), instead of all tasks sharing one K-major packed copy (a strided store per value, but
     * 5-8 % faster to read for the kernel). RN50's stage-1 convolutions (3136 × 576) ran at 0.6× the speed of its
     * later ones through the shared copy; at batch 1 its 1×1 convolutions of 784 and 3136 rows ran 1.6-2× as fast
     * read in place, its 196-row ones 1.12-1.18× as fast with per-task rows, and ViT-B/32's 400-row products 1.15×;
     * its 49-row products and ViT-B/32's 50-row ones ran 5-15 % slower (Zen 5, 2 threads).
     */
    static final int LOCAL_INPUT_MIN_ROWS = 128, SHARED_INPUT_FLOATS = 1 << 19;

    /** Work items [lo, hi) of a packed GEMM: item i is column tile i % tiles of row part i / tiles. */
    private void gemmPart(LinearCall c, int lo, int hi, Workspace ws) {
        for (int part = lo / c.tiles; part * c.tiles < hi; part++) {
            int r0 = part * c.partRows, r1 = Math.min(c.m, r0 + c.partRows);
            int t0 = Math.max(lo - part * c.tiles, 0), t1 = Math.min(hi - part * c.tiles, c.tiles);
            if (r0 < r1 && t0 < t1) gemmPart(c, r0, r1, t0, t1, ws);
        }
    }

    /** Rows [r0, r1) by column tiles [lo, hi) of a packed GEMM, nc tiles at a time. */
    private void gemmPart(LinearCall c, int r0, int r1, int lo, int hi, Workspace ws) {
        GemmPlan pl = c.plan;
        int len = species().length(), mr = pl.mr(), nr = pl.nr(), tileCols = nr * len;
        int m = r1, k = c.k, n = c.n, mPad = c.mPad;
        Panels pre = c.prepacked;
        // read in place: f32 panels; 16-bit ones too for few rows (widened in registers), else widened per K block
        boolean half = pre != null && pre.dtype() != DType.F32, f16 = pre != null && pre.dtype() == DType.F16;
        boolean direct = pre != null && (!half || c.m < (f16 ? F16_IN_PLACE_ROWS : BF16_IN_PLACE_ROWS));
        boolean inRegisters = half && direct;
        long step = inRegisters ? HALF_PANEL_ROW : PANEL_ROW;
        int es = (int) (step / WeightPanels.COLS);
        float[] a = c.localA ? ws.floats(LOCAL_INPUT, pl.mc() * Math.min(pl.kc(), k)) : c.packedA, out = c.out, bias = c.bias;
        // a residual sums in place: out (the identity) gets the bias before the first K block and every block's sum
        // after it, (identity + b) + x·Wᵀ, with no product to write to a buffer and read back
        boolean residual = c.epilogue.accumulates();
        // a large plain input is row by row already: the kernel reads its whole row groups where they lie in x
        boolean fromX = c.localA && c.im == null;
        float[] row = pre == null ? ws.floats(ROW, k) : null, tile = ws.floats(TILE, mr * tileCols);
        for (int g0 = lo; g0 < hi; g0 += pl.nc()) {
            int g1 = Math.min(hi, g0 + pl.nc());
            int j0 = g0 * tileCols, j1 = Math.min(g1 * tileCols, n);
            int q0 = j0 / WeightPanels.COLS, q1 = WeightPanels.panels(j1);
            MemorySegment b = direct ? pre.data() : ws.segment(BLOCK, (long) (q1 - q0) * Math.min(pl.kc(), k) * PANEL_ROW);
            for (int pc = 0; pc < k; pc += pl.kc()) {
                int kc = Math.min(pl.kc(), k - pc);
                // byte offset of panel q's K step pc in b: (q - qBase)·panelBytes + base
                long panelBytes = (direct ? k : kc) * step, base = direct ? pc * step : 0;
                int qBase = direct ? 0 : q0;
                if (!direct) {
                    for (int q = q0; q < q1; q++) {
                        long to = (q - q0) * panelBytes / Float.BYTES;
                        if (pre == null) packPanel(c.w, k, n, q, pc, kc, row, b, to);
                        else widen(pre.data(), ((long) q * k + pc) * WeightPanels.COLS, f16, b, to, kc * WeightPanels.COLS);
                    }
                }
                for (int ic = r0; ic < m; ic += pl.mc()) {
                    int mc = Math.min(pl.mc(), m - ic);
                    // a task's own block row by row (row copies; a plain input's short last group only); the shared
                    // input K-major (the kernel's faster read)
                    int as = c.localA ? 1 : mr;
                    if (c.localA) {
                        for (int rb = 0; rb < mc; rb += mr) if (!fromX || ic + rb + mr > c.m) packGroup(c, ic + rb, pc, kc, a, rb * kc, true);
                    }
                    if (residual && pc == 0) for (int i = ic; i < ic + mc; i++) add(out, c.outOff + i * n + j0, bias, j0, j1 - j0);
                    for (int tl = g0; tl < g1; tl++) {
                        int j = tl * tileCols, cols = Math.min(tileCols, n - j), vecs = (cols + len - 1) / len;
                        long bo0 = panelOffset(j, qBase, panelBytes, base, es), bo1 = vecs > 1 ? panelOffset(j + len, qBase, panelBytes, base, es) : 0,
                                bo2 = vecs > 2 ? panelOffset(j + 2 * len, qBase, panelBytes, base, es) : 0,
                                bo3 = vecs > 3 ? panelOffset(j + 3 * len, qBase, panelBytes, base, es) : 0;
                        for (int rb = 0; rb < mc; rb += mr) {
                            int rows = Math.min(mr, mc - rb), o = c.outOff + (ic + rb) * n + j;
                            boolean inX = fromX && ic + rb + mr <= c.m;
                            float[] ag = inX ? c.x : a;
                            int ao = inX ? c.xOff + (ic + rb) * k + pc : c.localA ? rb * kc : pc * mPad + (ic + rb) * kc;
                            int rs = inX ? k : c.localA ? kc : 1;
                            // a short last row group or column tile of whole vectors: the kernel of its size, straight
                            // into the output when there is one (8x2 for the last 32 of 80 channels under 8x3 tiles);
                            // else the smallest kernel that covers it, into a tile
                            boolean whole = cols == vecs * len && hasKernel(rows, vecs);
                            int kr = whole ? rows : kernelRows(rows, vecs), kv = vecs;
                            float[] dst = whole ? out : tile, bs = whole ? bias : zeros(tileCols);
                            int d = whole ? o : 0, stride = whole ? n : tileCols, bj = whole ? j : 0;
                            boolean first = !whole || pc == 0 && !residual;
                            if (inRegisters) microKernelHalf(kr, kv, ag, ao, as, rs, b, bo0, bo1, bo2, bo3, kc, dst, d, stride, first, bs, bj, f16);
                            else microKernel(kr, kv, ag, ao, as, rs, b, bo0, bo1, bo2, bo3, kc, dst, d, stride, first, bs, bj);
                            if (whole) continue;
                            for (int rr = 0; rr < rows; rr++) {
                                for (int cc = 0; cc < cols; cc++) {
                                    int oi = o + rr * n + cc;
                                    out[oi] = pc == 0 && !residual ? tile[rr * tileCols + cc] + bias[j + cc] : out[oi] + tile[rr * tileCols + cc];
                                }
                            }
                        }
                    }
                    // after the last K block, the epilogue on this row block of the group's columns, while it is in
                    // cache (a whole group of a convolution's thousands of rows is not)
                    Epilogue e = residual ? (c.epilogue == Epilogue.RESIDUAL_RELU ? Epilogue.RELU : Epilogue.NONE) : c.epilogue;
                    if (e != Epilogue.NONE && pc + kc >= k) {
                        for (int i = ic; i < ic + mc; i++) applyEpilogue(e, null, out, c.outOff + i * n + j0, j1 - j0);
                    }
                }
            }
        }
    }

    /**
     * Byte offset in the packed block of output column col's K step: its panel's start plus its place in the panel
     * (elements of es bytes).
     */
    private static long panelOffset(int col, int qBase, long panelBytes, long base, int es) {
        return (col / WeightPanels.COLS - qBase) * panelBytes + base + (long) (col % WeightPanels.COLS) * es;
    }

    private volatile float[] zeros = new float[0];

    /** A shared array of at least n zeros (the bias of a weight without one). */
    private float[] zeros(int n) {
        float[] z = zeros;
        if (z.length < n) zeros = z = new float[n];
        return z;
    }

    /** Panel q of W (rows 16q.. of the [n, k] weight, zero past n), K steps [pc, pc+kc), as f32 into dst from element to. */
    private static void packPanel(Tensor w, int k, int n, int q, int pc, int kc, float[] row, MemorySegment dst, long to) {
        for (int c = 0; c < WeightPanels.COLS; c++) {
            int j = q * WeightPanels.COLS + c;
            if (j < n) {
                decodeRow(w, j, pc, kc, k, row, 0);
                for (int t = 0; t < kc; t++) dst.setAtIndex(F32, to + (long) t * WeightPanels.COLS + c, row[t]);
            } else {
                for (int t = 0; t < kc; t++) dst.setAtIndex(F32, to + (long) t * WeightPanels.COLS + c, 0f);
            }
        }
    }

    /** Rows r0..r0+mr of x (zero past m), k range [pc, pc+kc): K-major, dst[off + t·mr + r], or byRow, dst[off + r·kc + t]. */
    private static void packRows(float[] x, int xOff, int m, int k, int mr, int r0, int pc, int kc, float[] dst, int off, boolean byRow) {
        for (int r = 0; r < mr; r++) {
            int src = xOff + (r0 + r) * k + pc;
            if (byRow) {
                if (r0 + r < m) System.arraycopy(x, src, dst, off + r * kc, kc);
                else java.util.Arrays.fill(dst, off + r * kc, off + (r + 1) * kc, 0f);
            } else if (r0 + r < m) {
                for (int t = 0; t < kc; t++) dst[off + t * mr + r] = x[src + t];
            } else {
                for (int t = 0; t < kc; t++) dst[off + t * mr + r] = 0f;
            }
        }
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
        synchronized (panelFiles) {
            panelFiles.forEach(Safetensors::close);
            panelFiles.clear();
        }
        super.close();
    }
}
