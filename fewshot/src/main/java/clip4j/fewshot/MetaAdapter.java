package clip4j.fewshot;

import clip4j.backend.Backend;
import clip4j.io.DType;
import clip4j.io.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * Meta-Adapter as released (upstream Meta-Adapter main.py {@code MetaAdapter.forward}; docs/adapters.md#meta-adapter),
 * for one head: per class, with text embedding w and support features
 * S (K × D), keys/values KV = [w; S]; q = W_q·w; scores s_j = q·(W_k·KV_j)/√D; a = softmax(s); F̂ = Σ a_j·KV_j
 * (values are the raw KV); gate g = sigmoid(a_w·w + b); ŵ = normalise(w + g·F̂). Logits = 100·f·Ŵᵀ.
 * Parameters in the official layout: q_proj.weight [D, D], k_proj.weight [D, D], alpha_proj.weight [1, D],
 * alpha_proj.bias [1]; Xavier-uniform weights, bias 1. Uses W_kᵀ·q so each class costs O(D² + K·D).
 */
public final class MetaAdapter {
    final int d;
    final float[] qProj;
    final float[] kProj;
    final float[] alphaWeight;
    final float[] alphaBias;

    public MetaAdapter(int d, long seed) {
        this.d = d;
        Random r = new Random(seed);
        qProj = xavier(d, d, r);
        kProj = xavier(d, d, r);
        alphaWeight = xavier(1, d, r);
        alphaBias = new float[]{1f};
    }

    public MetaAdapter(int d, float[] qProj, float[] kProj, float[] alphaWeight, float[] alphaBias) {
        if (qProj.length != d * d || kProj.length != d * d || alphaWeight.length != d || alphaBias.length != 1) {
            throw new clip4j.ClipException("Meta-Adapter weights do not fit dimension " + d);
        }
        this.d = d;
        this.qProj = qProj;
        this.kProj = kProj;
        this.alphaWeight = alphaWeight;
        this.alphaBias = alphaBias;
    }

    private static float[] xavier(int out, int in, Random r) {
        double a = Math.sqrt(6.0 / (in + out));
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) ((r.nextDouble() * 2 - 1) * a);
        return w;
    }

    public int dim() {
        return d;
    }

    public float[][] parameters() {
        return new float[][]{qProj, kProj, alphaWeight, alphaBias};
    }

    /** Intermediate values of one class's refinement, kept for the backward pass. */
    record Trace(double[] q, double[] qk, float[][] kv, double[] att, double[] fHat, double gate, double[] u, double norm,
                 float[] refined) {
    }

    Trace refine(float[] w, float[][] support) {
        int k = support.length;
        float[][] kv = new float[k + 1][];
        kv[0] = w;
        System.arraycopy(support, 0, kv, 1, k);
        double[] q = new double[d];
        for (int i = 0; i < d; i++) {
            double s = 0;
            for (int t = 0; t < d; t++) s += (double) qProj[i * d + t] * w[t];
            q[i] = s;
        }
        double[] qk = new double[d]; // W_kᵀ·q
        for (int i = 0; i < d; i++) {
            double qi = q[i];
            for (int t = 0; t < d; t++) qk[t] += qi * kProj[i * d + t];
        }
        double scale = 1 / Math.sqrt(d);
        double[] att = new double[k + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= k; j++) {
            double s = 0;
            for (int t = 0; t < d; t++) s += qk[t] * kv[j][t];
            att[j] = s * scale;
            max = Math.max(max, att[j]);
        }
        double sum = 0;
        for (int j = 0; j <= k; j++) {
            att[j] = StrictMath.exp(att[j] - max);
            sum += att[j];
        }
        double[] fHat = new double[d];
        for (int j = 0; j <= k; j++) {
            att[j] /= sum;
            for (int t = 0; t < d; t++) fHat[t] += att[j] * kv[j][t];
        }
        double pre = alphaBias[0];
        for (int t = 0; t < d; t++) pre += (double) alphaWeight[t] * w[t];
        double gate = 1 / (1 + StrictMath.exp(-pre));
        double[] u = new double[d];
        double nn = 0;
        for (int t = 0; t < d; t++) {
            u[t] = w[t] + gate * fHat[t];
            nn += u[t] * u[t];
        }
        double norm = Math.sqrt(nn);
        float[] out = new float[d];
        for (int t = 0; t < d; t++) out[t] = (float) (u[t] / norm);
        return new Trace(q, qk, kv, att, fHat, gate, u, norm, out);
    }

    /** Refined class embeddings Ŵ (rows) from text embeddings and per-class supports; no gradient step (online use). */
    public float[][] refine(float[][] classWeights, float[][][] supports) {
        float[][] out = new float[classWeights.length][];
        for (int c = 0; c < out.length; c++) out[c] = refine(classWeights[c], supports[c]).refined;
        return out;
    }

    /**
     * The same refinement for inference on a backend ({@link clip4j.backend.AdapterKernels#metaAdapterRefine}: on CUDA both products and
     * the per-class attention run on the device), in float; {@link #refine(float[][], float[][][])} is the double
     * precision forward that training differentiates.
     */
    public float[][] refine(Backend be, float[][] classWeights, float[][][] supports) {
        int n = classWeights.length;
        int[] offsets = new int[n + 1];
        for (int c = 0; c < n; c++) offsets[c + 1] = offsets[c] + supports[c].length;
        float[] w = new float[n * d], s = new float[offsets[n] * d], out = new float[n * d];
        for (int c = 0; c < n; c++) {
            System.arraycopy(classWeights[c], 0, w, c * d, d);
            for (int j = 0; j < supports[c].length; j++) System.arraycopy(supports[c][j], 0, s, (offsets[c] + j) * d, d);
        }
        float[] kT = new float[d * d];
        for (int i = 0; i < d; i++) for (int t = 0; t < d; t++) kT[t * d + i] = kProj[i * d + t];
        HostAdapterKernels.metaAdapterRefine(be, w, n, d, s, offsets, matrix(qProj, d), matrix(kT, d), alphaWeight, alphaBias[0], out);
        float[][] rows = new float[n][];
        for (int c = 0; c < n; c++) rows[c] = Arrays.copyOfRange(out, c * d, (c + 1) * d);
        return rows;
    }

    private static Tensor matrix(float[] a, int d) {
        return new Tensor("meta", DType.F32, new long[]{d, d}, MemorySegment.ofArray(a));
    }

    /** Mean cross-entropy of 100·f·Ŵᵀ over a batch, with gradients for {@link #parameters()} added into grads. */
    public double lossAndGrad(float[][] classWeights, float[][][] supports, float[][] f, int[] y, double[][] grads) {
        int n = classWeights.length;
        Trace[] tr = new Trace[n];
        for (int c = 0; c < n; c++) tr[c] = refine(classWeights[c], supports[c]);
        double[][] dRef = new double[n][d];
        double loss = 0;
        double[] z = new double[n], dz = new double[n];
        for (int b = 0; b < f.length; b++) {
            for (int c = 0; c < n; c++) z[c] = TipAdapter.CLIP_SCALE * FMath.dot(f[b], tr[c].refined);
            loss += FMath.crossEntropyGrad(z, y[b], dz);
            for (int c = 0; c < n; c++) {
                double k = TipAdapter.CLIP_SCALE * dz[c] / f.length;
                for (int t = 0; t < d; t++) dRef[c][t] += k * f[b][t];
            }
        }
        double scale = 1 / Math.sqrt(d);
        for (int c = 0; c < n; c++) {
            Trace t = tr[c];
            float[] w = classWeights[c];
            double rd = 0;
            for (int i = 0; i < d; i++) rd += t.refined[i] * dRef[c][i];
            double[] du = new double[d];
            for (int i = 0; i < d; i++) du[i] = (dRef[c][i] - t.refined[i] * rd) / t.norm;
            double dGate = 0;
            for (int i = 0; i < d; i++) dGate += du[i] * t.fHat[i];
            double dPre = dGate * t.gate * (1 - t.gate);
            for (int i = 0; i < d; i++) grads[2][i] += dPre * w[i];
            grads[3][0] += dPre;
            int slots = t.kv.length;
            double[] dAtt = new double[slots];
            for (int j = 0; j < slots; j++) {
                double s = 0;
                for (int i = 0; i < d; i++) s += t.gate * du[i] * t.kv[j][i];
                dAtt[j] = s;
            }
            double mean = 0;
            for (int j = 0; j < slots; j++) mean += t.att[j] * dAtt[j];
            double[] m = new double[d]; // Σ_j ds_j·KV_j, with ds the softmax backward times the 1/√D scale
            for (int j = 0; j < slots; j++) {
                double ds = t.att[j] * (dAtt[j] - mean) * scale;
                for (int i = 0; i < d; i++) m[i] += ds * t.kv[j][i];
            }
            // s_j = qᵀ·W_k·KV_j: dW_k = q ⊗ m, dq = W_k·m, dW_q = dq ⊗ w
            for (int i = 0; i < d; i++) {
                double qi = t.q[i];
                double dq = 0;
                for (int k = 0; k < d; k++) {
                    grads[1][i * d + k] += qi * m[k];
                    dq += kProj[i * d + k] * m[k];
                }
                for (int k = 0; k < d; k++) grads[0][i * d + k] += dq * w[k];
            }
        }
        return loss / f.length;
    }
}
