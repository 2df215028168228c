package clip4j.model;

import clip4j.backend.Backend;

/**
 * The pre-LN residual attention block of clip-spec §2:
 * x ← x + out_proj(attn(in_proj(ln_1(x)))); x ← x + c_proj(act(c_fc(ln_2(x)))).
 * Works on {@code batch} sequences of {@code seq} tokens at once (rows of x are tokens).
 */
final class ResidualBlock {
    private ResidualBlock() {
    }

    /** One block on x in place; its four buffers are the encoder's scratch slots first..first+3 (no allocation). */
    static void forward(Backend be, BlockWeights bw, float[] x, int batch, int seq, int w, int heads, boolean causal,
                        Activation act, float eps, Scratch s, int first) {
        int m = batch * seq;
        float[] h = s.get(first, m * w), qkv = s.get(first + 1, m * 3 * w), attn = s.get(first + 2, m * w), mlp = s.get(first + 3, m * 4 * w);
        be.layerNorm(x, m, w, bw.ln1Weight(), bw.ln1Bias(), eps, h);
        be.linear(h, m, w, bw.inProj(), bw.inProjBias(), qkv);
        be.attention(qkv, batch, seq, w, heads, causal, attn);
        be.linear(attn, m, w, bw.outProj(), bw.outProjBias(), h);
        add(x, h, m * w);
        be.layerNorm(x, m, w, bw.ln2Weight(), bw.ln2Bias(), eps, h);
        be.linear(h, m, w, bw.cFc(), bw.cFcBias(), mlp);
        if (act == Activation.QUICK_GELU) be.quickGelu(mlp, m * 4 * w);
        else be.gelu(mlp, m * 4 * w);
        be.linear(mlp, m, 4 * w, bw.cProj(), bw.cProjBias(), h);
        add(x, h, m * w);
    }

    private static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) x[i] += y[i];
    }
}
