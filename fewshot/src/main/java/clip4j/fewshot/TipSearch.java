package clip4j.fewshot;

import clip4j.backend.Backend;
import clip4j.io.DType;
import clip4j.io.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Tip-Adapter's α/β grid search (upstream Tip-Adapter utils.py {@code search_hp}; docs/adapters.md#search-grid),
 * computed efficiently: the affinity f·Kᵀ once per query block,
 * one exp per β, and every α for free because the logits are linear in α. Queries are streamed in blocks so the
 * affinity block stays under {@link #BLOCK_BYTES} (an ImageNet-size 50k × 16k search needs no more). The winner is
 * the first strict maximum in (β, α) order, as the official code keeps it.
 */
public final class TipSearch {
    public static final long BLOCK_BYTES = 256L << 20;

    private TipSearch() {
    }

    /** β_i = 0.1 + i·(S_β − 0.1)/n_β and α_j likewise, upper bounds excluded. */
    public record Grid(double[] betas, double[] alphas) {
        public static Grid of(double scaleBeta, double scaleAlpha, int nBeta, int nAlpha) {
            double[] b = new double[nBeta], a = new double[nAlpha];
            for (int i = 0; i < nBeta; i++) b[i] = 0.1 + i * (scaleBeta - 0.1) / nBeta;
            for (int j = 0; j < nAlpha; j++) a[j] = 0.1 + j * (scaleAlpha - 0.1) / nAlpha;
            return new Grid(b, a);
        }
    }

    public record Result(double beta, double alpha, double accuracy) {
    }

    /** A row-major [rows, cols] matrix of floats as a weight tensor for {@link Backend#linear}. */
    static Tensor asTensor(float[][] rows) {
        return asTensor(rows, rows[0].length);
    }

    /** Rows of width d as one [rows, d] f32 matrix (no rows: [0, d]). */
    static Tensor asTensor(float[][] rows, int d) {
        float[] flat = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * d, d);
        return new Tensor("matrix", DType.F32, new long[]{rows.length, d}, MemorySegment.ofArray(flat));
    }

    public static Result search(Backend be, TipAdapter tip, float[][] queries, int[] labels, Grid grid) {
        float[][] keys = tip.keys();
        int nk = keys.length, d = keys[0].length, n = tip.numClasses();
        int[] keyLabels = tip.keyLabels();
        Tensor keyTensor = asTensor(keys);
        int block = (int) Math.max(1, Math.min(queries.length, BLOCK_BYTES / (4L * nk)));
        int nb = grid.betas().length, na = grid.alphas().length;
        long[][] correct = new long[nb][na];
        float[] q = new float[block * d];
        float[] aff = new float[block * nk];
        double[][] cache = new double[block][n];
        double[][] zs = new double[block][];
        for (int s = 0; s < queries.length; s += block) {
            int m = Math.min(block, queries.length - s);
            for (int i = 0; i < m; i++) {
                System.arraycopy(queries[s + i], 0, q, i * d, d);
                zs[i] = tip.zeroShotLogits(queries[s + i]);
            }
            be.linear(q, m, d, keyTensor, null, aff);
            for (int bi = 0; bi < nb; bi++) {
                double beta = grid.betas()[bi];
                for (int i = 0; i < m; i++) {
                    double[] c = cache[i];
                    java.util.Arrays.fill(c, 0);
                    int o = i * nk;
                    for (int k = 0; k < nk; k++) c[keyLabels[k]] += StrictMath.exp(-beta * (1 - aff[o + k]));
                }
                for (int ai = 0; ai < na; ai++) {
                    double alpha = grid.alphas()[ai];
                    long hit = 0;
                    for (int i = 0; i < m; i++) {
                        double[] z = zs[i], c = cache[i];
                        int best = 0;
                        double bv = z[0] + alpha * c[0];
                        for (int k = 1; k < n; k++) {
                            double v = z[k] + alpha * c[k];
                            if (v > bv) {
                                bv = v;
                                best = k;
                            }
                        }
                        if (best == labels[s + i]) hit++;
                    }
                    correct[bi][ai] += hit;
                }
            }
        }
        int bb = 0, ba = 0;
        for (int bi = 0; bi < nb; bi++) {
            for (int ai = 0; ai < na; ai++) if (correct[bi][ai] > correct[bb][ba]) {
                bb = bi;
                ba = ai;
            }
        }
        return new Result(grid.betas()[bb], grid.alphas()[ba], (double) correct[bb][ba] / queries.length);
    }

    /** The brute-force twin: full logits for every (β, α); the reference in tests. */
    public static Result bruteForce(TipAdapter tip, float[][] queries, int[] labels, Grid grid) {
        Result best = null;
        for (double beta : grid.betas()) {
            for (double alpha : grid.alphas()) {
                int hit = 0;
                for (int i = 0; i < queries.length; i++) if (FMath.argmax(tip.logits(queries[i], alpha, beta)) == labels[i]) hit++;
                double acc = (double) hit / queries.length;
                if (best == null || acc > best.accuracy()) best = new Result(beta, alpha, acc);
            }
        }
        return best;
    }
}
