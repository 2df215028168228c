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

    /** Buffers for one forward pass over m = batch·seq rows of width w, taken from the encoder's scratch. */
    record Workspace(float[] h, float[] qkv, float[] attn, float[] mlp) {
        /** Uses scratch slots first..first+3. */
        static Workspace of(Scratch s, int first, int m, int w) {
            return new Workspace(s.get(first, m * w), s.get(first + 1, m * 3 * w), s.get(first + 2, m * w), s.get(first + 3, m * 4 * w));
        }
    }

    static void forward(Backend be, BlockWeights bw, float[] x, int batch, int seq, int w, int heads, boolean causal,
                        Activation act, float eps, Workspace ws) {
        int m = batch * seq;
        be.layerNorm(x, m, w, bw.ln1Weight(), bw.ln1Bias(), eps, ws.h());
        be.linear(ws.h(), m, w, bw.inProj(), bw.inProjBias(), ws.qkv());
        be.attention(ws.qkv(), batch, seq, w, heads, causal, ws.attn());
        be.linear(ws.attn(), m, w, bw.outProj(), bw.outProjBias(), ws.h());
        add(x, ws.h(), m * w);
        be.layerNorm(x, m, w, bw.ln2Weight(), bw.ln2Bias(), eps, ws.h());
        be.linear(ws.h(), m, w, bw.cFc(), bw.cFcBias(), ws.mlp());
        if (act == Activation.QUICK_GELU) be.quickGelu(ws.mlp(), m * 4 * w);
        else be.gelu(ws.mlp(), m * 4 * w);
        be.linear(ws.mlp(), m, 4 * w, bw.cProj(), bw.cProjBias(), ws.h());
        add(x, ws.h(), m * w);
    }

    private static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) x[i] += y[i];
    }
}
