package clip4j.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Multi-head self-attention on the Vector API: one task per (sequence, head), each two small register-tiled GEMMs. */
abstract sealed class VectorAttention extends VectorGemm permits VectorBackend {
    /** The head's padded Q, Kᵀ, V, scores and output, per worker. */
    private static final Workspace.Buffer Q = Workspace.buffer("attention.q"), KT = Workspace.buffer("attention.kt"),
            V = Workspace.buffer("attention.v"), SCORES = Workspace.buffer("attention.scores"), OUT = Workspace.buffer("attention.out"),
            LANES = Workspace.buffer("attention.lanes");

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
}
