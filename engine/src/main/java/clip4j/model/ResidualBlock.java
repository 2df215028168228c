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

    /** Scratch buffers for one forward pass over m = batch·seq rows of width w. */
    static final class Workspace {
        final float[] h;
        final float[] qkv;
        final float[] attn;
        final float[] mlp;

        Workspace(int m, int w) {
            h = new float[m * w];
            qkv = new float[m * 3 * w];
            attn = new float[m * w];
            mlp = new float[m * 4 * w];
        }
    }

    static void forward(Backend be, BlockWeights bw, float[] x, int batch, int seq, int w, int heads, boolean causal,
                        Activation act, float eps, Workspace ws) {
        int m = batch * seq;
        be.layerNorm(x, m, w, bw.ln1Weight(), bw.ln1Bias(), eps, ws.h);
        be.linear(ws.h, m, w, bw.inProj(), bw.inProjBias(), ws.qkv);
        be.attention(ws.qkv, batch, seq, w, heads, causal, ws.attn);
        be.linear(ws.attn, m, w, bw.outProj(), bw.outProjBias(), ws.h);
        add(x, ws.h, m * w);
        be.layerNorm(x, m, w, bw.ln2Weight(), bw.ln2Bias(), eps, ws.h);
        be.linear(ws.h, m, w, bw.cFc(), bw.cFcBias(), ws.mlp);
        if (act == Activation.QUICK_GELU) be.quickGelu(ws.mlp, m * 4 * w);
        else be.gelu(ws.mlp, m * 4 * w);
        be.linear(ws.mlp, m, 4 * w, bw.cProj(), bw.cProjBias(), ws.h);
        add(x, ws.h, m * w);
    }

    private static void add(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) x[i] += y[i];
    }
}
