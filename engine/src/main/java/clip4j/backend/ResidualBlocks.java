package clip4j.backend;

import java.util.List;

/**
 * The pre-LN residual attention blocks of clip-spec §2, operation by operation on a backend (the default of
 * {@link Backend#residualBlocks}): x ← x + out_proj(attn(in_proj(ln_1(x)))); x ← x + c_proj(act(c_fc(ln_2(x)))).
 * Works on {@code batch} sequences of {@code seq} tokens at once (rows of x are tokens); the four block buffers are
 * per-thread and reused, so a steady stream of same-size calls allocates nothing.
 */
final class ResidualBlocks {
    private static final ThreadLocal<float[][]> SCRATCH = new ThreadLocal<>();

    private ResidualBlocks() {
    }

    static void run(Backend be, float[] x, int batch, int seq, int w, int heads, boolean causal, boolean quickGelu, float eps,
                    List<BlockWeights> blocks) {
        int m = batch * seq;
        float[][] s = ThreadRows.rows(SCRATCH, 4, Math.multiplyExact(Math.multiplyExact(m, 4), w));
        float[] h = s[0], qkv = s[1], attn = s[2], mlp = s[3];
        for (BlockWeights bw : blocks) {
            be.layerNorm(x, m, w, bw.ln1Weight(), bw.ln1Bias(), eps, h);
            be.linear(h, m, w, bw.inProj(), bw.inProjBias(), qkv);
            be.attention(qkv, batch, seq, w, heads, causal, attn);
            be.linear(attn, m, w, bw.outProj(), bw.outProjBias(), h);
            add(x, h, m * w);
            be.layerNorm(x, m, w, bw.ln2Weight(), bw.ln2Bias(), eps, h);
            be.linear(h, m, w, bw.cFc(), bw.cFcBias(), mlp);
            if (quickGelu) be.quickGelu(mlp, m * 4 * w);
            else be.gelu(mlp, m * 4 * w);
            be.linear(mlp, m, 4 * w, bw.cProj(), bw.cProjBias(), h);
            add(x, h, m * w);
        }
    }

    private static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) x[i] += y[i];
    }
}
