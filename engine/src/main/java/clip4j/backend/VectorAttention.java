package clip4j.backend;

import clip4j.io.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head self-attention on the Vector API (one task per (sequence, head), each two small register-tiled GEMMs), and
 * a ResNet's attention pooling (one task per head).
 */
abstract sealed class VectorAttention extends VectorWinograd permits VectorBackend {
    /** The head's padded Q, Kᵀ, V, scores and output, per worker. */
    private static final Workspace.Buffer Q = Workspace.buffer("attention.q"), KT = Workspace.buffer("attention.kt"),
            V = Workspace.buffer("attention.v"), SCORES = Workspace.buffer("attention.scores"), OUT = Workspace.buffer("attention.out"),
            LANES = Workspace.buffer("attention.lanes"), POOL_W = Workspace.buffer("attnpool.weights"),
            POOL_Q = Workspace.buffer("attnpool.q"), POOL_U = Workspace.buffer("attnpool.u"), POOL_Z = Workspace.buffer("attnpool.z"),
            POOL_S = Workspace.buffer("attnpool.scores");

    VectorAttention(int threads, GemmPlan plan, boolean packOnce, java.nio.file.Path panelDir) {
        super(threads, plan, packOnce, panelDir);
    }

    /**
     * Per (sequence, head): S = Q·Kᵀ and O = P·V as two small GEMMs on an 8-row register tile (no horizontal sums:
     * a dot product per score made this 2.5× slower), softmax per row in between. The head's Q, Kᵀ and V are copied
     * into zero-padded per-thread buffers (rows to a multiple of 8, columns to the vector length), so every tile is
     * full; padded score columns are never read and padded rows are dropped.
     */
    @Override
    public void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] out) {
        beginCall();
        AttentionCall c = attentionCall;
        c.qkv = qkv;
        c.out = out;
        c.seq = seq;
        c.width = width;
        c.heads = heads;
        c.causal = causal;
        try {
            pool.parallelFor(batch * heads, c.body);
        } finally {
            c.qkv = c.out = null;
            calls.unlock();
        }
    }

    /** The running attention call's arguments and loop body (one call at a time, see {@link LinearCall}). */
    private final class AttentionCall {
        float[] qkv, out;
        int seq, width, heads;
        boolean causal;
        final WorkerPool.RangeBody body = (lo, hi, ws) -> attentionPart(this, lo, hi, ws);
    }

    private final AttentionCall attentionCall = new AttentionCall();

    /** The (sequence, head) tasks [lo, hi). */
    private void attentionPart(AttentionCall c, int lo, int hi, Workspace ws) {
        int len = species().length();
        int seq = c.seq, width = c.width, heads = c.heads;
        float[] qkv = c.qkv, out = c.out;
        int hd = width / heads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int stride = 3 * width;
        int rowsPad = (seq + 7) & ~7, colsPad = (seq + len - 1) / len * len, hdPad = (hd + len - 1) / len * len;
        int size = Math.max(rowsPad * Math.max(hdPad, colsPad), hdPad * colsPad);
        float[] q = ws.floats(Q, size), kt = ws.floats(KT, size), v = ws.floats(V, size), sc = ws.floats(SCORES, size), o = ws.floats(OUT, size),
                lanes = ws.floats(LANES, len);
        java.util.Arrays.fill(q, 0f);
        java.util.Arrays.fill(kt, 0f);
        java.util.Arrays.fill(v, 0f);
        for (int task = lo; task < hi; task++) {
            int base = (task / heads) * seq;
            int h = task % heads;
            int qo = h * hd, ko = width + h * hd, vo = 2 * width + h * hd;
            for (int i = 0; i < seq; i++) {
                int src = (base + i) * stride;
                System.arraycopy(qkv, src + qo, q, i * hdPad, hd);
                System.arraycopy(qkv, src + vo, v, i * hdPad, hd);
                for (int d = 0; d < hd; d++) kt[d * colsPad + i] = qkv[src + ko + d];
            }
            for (int i0 = 0; i0 < rowsPad; i0 += 8) {
                for (int j0 = 0; j0 < colsPad; j0 += len) tile8(q, i0 * hdPad, hdPad, hd, kt, j0, colsPad, sc, i0 * colsPad + j0, colsPad);
            }
            for (int i = 0; i < seq; i++) {
                int keys = c.causal ? i + 1 : seq, so = i * colsPad;
                scale(sc, so, keys, scale);
                softmax(sc, so, keys, lanes);
                java.util.Arrays.fill(sc, so + keys, so + seq, 0f);
            }
            for (int i0 = 0; i0 < rowsPad; i0 += 8) {
                for (int d0 = 0; d0 < hdPad; d0 += len) tile8(sc, i0 * colsPad, colsPad, seq, v, d0, hdPad, o, i0 * hdPad + d0, hdPad);
            }
            for (int i = 0; i < seq; i++) System.arraycopy(o, i * hdPad, out, (base + i) * width + qo, hd);
        }
    }

    /**
     * c[co + r·cs, +len) = Σ_t a[ao + r·as + t] · b[bo + t·bs, +len) for the 8 rows r: eight independent accumulators,
     * one vector load and eight broadcasts per step.
     */
    private void tile8(float[] a, int ao, int as, int count, float[] b, int bo, int bs, float[] c, int co, int cs) {
        final VectorSpecies<Float> species = species();
        FloatVector c0 = FloatVector.zero(species), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int t = 0; t < count; t++) {
            FloatVector bv = FloatVector.fromArray(species, b, bo + t * bs);
            int at = ao + t;
            c0 = FloatVector.broadcast(species, a[at]).fma(bv, c0);
            c1 = FloatVector.broadcast(species, a[at + as]).fma(bv, c1);
            c2 = FloatVector.broadcast(species, a[at + 2 * as]).fma(bv, c2);
            c3 = FloatVector.broadcast(species, a[at + 3 * as]).fma(bv, c3);
            c4 = FloatVector.broadcast(species, a[at + 4 * as]).fma(bv, c4);
            c5 = FloatVector.broadcast(species, a[at + 5 * as]).fma(bv, c5);
            c6 = FloatVector.broadcast(species, a[at + 6 * as]).fma(bv, c6);
            c7 = FloatVector.broadcast(species, a[at + 7 * as]).fma(bv, c7);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + cs);
        c2.intoArray(c, co + 2 * cs);
        c3.intoArray(c, co + 3 * cs);
        c4.intoArray(c, co + 4 * cs);
        c5.intoArray(c, co + 5 * cs);
        c6.intoArray(c, co + 6 * cs);
        c7.intoArray(c, co + 7 * cs);
    }

    /**
     * Attention pooling without the keys and values of every token: with one query per sequence, per head h
     * (rows Kₕ, Vₕ of the projections) the score of token x is q·(Kₕx + kₕ) = (Kₕᵀq)·x + q·kₕ, where q·kₕ is the same
     * for every token and cancels in the softmax, and the output Σₜ aₜ(Vₕxₜ + vₕ) = Vₕ(Σₜ aₜxₜ) + vₕ (the weights sum
     * to 1). So u = Kₕᵀq (one pass over Kₕ), the scores u·xₜ, z = Σₜ aₜxₜ, and Vₕz + vₕ (one pass over Vₕ): for RN50's
     * 50 tokens of 2,048 channels ~15 M multiply-adds per image instead of ~420 M, the same sums regrouped (fp32 noise;
     * {@link ScalarBackend} keeps the projections as written, and the tests compare the two). One task per head.
     */
    @Override
    public void attentionPool(float[] tokens, int batch, int seq, int width, int heads, float[] q, Tensor kW, float[] kBias,
                              Tensor vW, float[] vBias, float[] out) {
        int len = species().length();
        if (width % heads != 0 || width % len != 0 || batch == 0) {
            super.attentionPool(tokens, batch, seq, width, heads, q, kW, kBias, vW, vBias, out);
            return;
        }
        Backend.checkAttentionPool(tokens, batch, seq, width, heads, q, kW, vW, out);
        beginCall();
        PoolCall c = poolCall;
        c.tokens = tokens;
        c.q = q;
        c.kW = kW;
        c.vW = vW;
        c.vBias = vBias;
        c.out = out;
        c.batch = batch;
        c.seq = seq;
        c.width = width;
        c.heads = heads;
        try {
            pool.parallelFor(heads, c.body);
        } finally {
            c.tokens = c.q = c.vBias = c.out = null;
            c.kW = c.vW = null;
            calls.unlock();
        }
    }

    /** The running attention pooling's arguments and loop body (one call at a time, see {@link LinearCall}). */
    private final class PoolCall {
        float[] tokens, q, vBias, out;
        Tensor kW, vW;
        int batch, seq, width, heads;
        final WorkerPool.RangeBody body = (lo, hi, ws) -> poolPart(this, lo, hi, ws);
    }

    private final PoolCall poolCall = new PoolCall();

    /** Heads [lo, hi) of an attention pooling, for every sequence. */
    private void poolPart(PoolCall c, int lo, int hi, Workspace ws) {
        final VectorSpecies<Float> species = species();
        int len = species.length(), width = c.width, seq = c.seq, batch = c.batch, hd = width / c.heads;
        int tiled = batch & ~7;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] w = ws.floats(POOL_W, hd * width), qh = ws.floats(POOL_Q, batch * hd), u = ws.floats(POOL_U, batch * width),
                z = ws.floats(POOL_Z, batch * width), s = ws.floats(POOL_S, seq), lanes = ws.floats(LANES, len), x = c.tokens;
        for (int h = lo; h < hi; h++) {
            int r0 = h * hd;
            // u[b] = Kₕᵀ q[b]: the head's rows of K against every sequence's query, 8 queries a register tile, the
            // rest one at a time
            for (int i = 0; i < hd; i++) VectorGemm.decodeRow(c.kW, r0 + i, 0, width, width, w, i * width);
            for (int b = 0; b < batch; b++) System.arraycopy(c.q, b * width + r0, qh, b * hd, hd);
            for (int i0 = 0; i0 < tiled; i0 += 8) {
                for (int j0 = 0; j0 < width; j0 += len) tile8(qh, i0 * hd, hd, hd, w, j0, width, u, i0 * width + j0, width);
            }
            for (int b = tiled; b < batch; b++) weightedSum(qh, b * hd, hd, w, 0, width, u, b * width);
            for (int b = 0; b < batch; b++) {
                int x0 = b * seq * width;
                dots(u, b * width, x, x0, width, seq, width, s, 0, lanes);
                scale(s, 0, seq, scale);
                softmax(s, 0, seq, lanes);
                weightedSum(s, 0, seq, x, x0, width, z, b * width);
            }
            // out[b, r0 + i] = Vₕ[i]·z[b] + v[r0 + i]
            for (int i = 0; i < hd; i++) VectorGemm.decodeRow(c.vW, r0 + i, 0, width, width, w, i * width);
            for (int b = 0; b < batch; b++) {
                int o = b * width + r0;
                dots(z, b * width, w, 0, width, hd, width, c.out, o, lanes);
                if (c.vBias != null) for (int i = 0; i < hd; i++) c.out[o + i] += c.vBias[r0 + i];
            }
        }
    }

    /**
     * dst[d + r] = a[ao, ao+width) · b[bo + r·bs, +width) for the rows r < rows, four rows at a time (independent sums,
     * one load of a for four FMAs); width a multiple of the vector length.
     */
    private void dots(float[] a, int ao, float[] b, int bo, int bs, int rows, int width, float[] dst, int d, float[] lanes) {
        final VectorSpecies<Float> species = species();
        int len = species.length(), r = 0;
        for (; r + 4 <= rows; r += 4) {
            FloatVector s0 = FloatVector.zero(species), s1 = s0, s2 = s0, s3 = s0;
            int b0 = bo + r * bs;
            for (int j = 0; j < width; j += len) {
                FloatVector av = FloatVector.fromArray(species, a, ao + j);
                s0 = av.fma(FloatVector.fromArray(species, b, b0 + j), s0);
                s1 = av.fma(FloatVector.fromArray(species, b, b0 + bs + j), s1);
                s2 = av.fma(FloatVector.fromArray(species, b, b0 + 2 * bs + j), s2);
                s3 = av.fma(FloatVector.fromArray(species, b, b0 + 3 * bs + j), s3);
            }
            s0.intoArray(lanes, 0);
            dst[d + r] = sumLanes(lanes, len);
            s1.intoArray(lanes, 0);
            dst[d + r + 1] = sumLanes(lanes, len);
            s2.intoArray(lanes, 0);
            dst[d + r + 2] = sumLanes(lanes, len);
            s3.intoArray(lanes, 0);
            dst[d + r + 3] = sumLanes(lanes, len);
        }
        for (; r < rows; r++) {
            FloatVector s0 = FloatVector.zero(species);
            for (int j = 0; j < width; j += len) s0 = FloatVector.fromArray(species, a, ao + j).fma(FloatVector.fromArray(species, b, bo + r * bs + j), s0);
            s0.intoArray(lanes, 0);
            dst[d + r] = sumLanes(lanes, len);
        }
    }

    /**
     * z[zo, +width) = Σₜ p[po + t]·x[xo + t·width, +width) over t < seq, four vectors of channels at a time
     * (independent sums in t order); width a multiple of the vector length.
     */
    private void weightedSum(float[] p, int po, int seq, float[] x, int xo, int width, float[] z, int zo) {
        final VectorSpecies<Float> species = species();
        int len = species.length(), j = 0;
        for (; j + 4 * len <= width; j += 4 * len) {
            FloatVector z0 = FloatVector.zero(species), z1 = z0, z2 = z0, z3 = z0;
            for (int t = 0; t < seq; t++) {
                FloatVector pt = FloatVector.broadcast(species, p[po + t]);
                int o = xo + t * width + j;
                z0 = FloatVector.fromArray(species, x, o).fma(pt, z0);
                z1 = FloatVector.fromArray(species, x, o + len).fma(pt, z1);
                z2 = FloatVector.fromArray(species, x, o + 2 * len).fma(pt, z2);
                z3 = FloatVector.fromArray(species, x, o + 3 * len).fma(pt, z3);
            }
            z0.intoArray(z, zo + j);
            z1.intoArray(z, zo + j + len);
            z2.intoArray(z, zo + j + 2 * len);
            z3.intoArray(z, zo + j + 3 * len);
        }
        for (; j < width; j += len) {
            FloatVector z0 = FloatVector.zero(species);
            for (int t = 0; t < seq; t++) z0 = FloatVector.fromArray(species, x, xo + t * width + j).fma(FloatVector.broadcast(species, p[po + t]), z0);
            z0.intoArray(z, zo + j);
        }
    }
}
