package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Epilogue;
import clip4j.backend.Workspace;
import clip4j.io.Tensor;

/**
 * Upstream clip/model.py {@code ResidualAttentionBlock}: pre-LN self-attention and MLP, each added to the residual
 * stream. Small vectors are copied to arrays, matrices stay in the mapping.
 */
public record ResidualAttentionBlock(float[] ln1Weight, float[] ln1Bias, Tensor inProj, float[] inProjBias,
                                     Tensor outProj, float[] outProjBias, float[] ln2Weight, float[] ln2Bias,
                                     Tensor cFc, float[] cFcBias, Tensor cProj, float[] cProjBias) {
    private static final Workspace.Buffer H = Workspace.buffer("block.ln"), QKV = Workspace.buffer("block.qkv"),
            ATTN = Workspace.buffer("block.attn"), MLP = Workspace.buffer("block.mlp");

    /** The block whose tensors are named prefix + "ln_1.weight" and so on. */
    public static ResidualAttentionBlock load(ModelFile f, String prefix) {
        return new ResidualAttentionBlock(
                f.vector(prefix + "ln_1.weight"), f.vector(prefix + "ln_1.bias"),
                f.tensor(prefix + "attn.in_proj_weight"), f.vector(prefix + "attn.in_proj_bias"),
                f.tensor(prefix + "attn.out_proj.weight"), f.vector(prefix + "attn.out_proj.bias"),
                f.vector(prefix + "ln_2.weight"), f.vector(prefix + "ln_2.bias"),
                f.tensor(prefix + "mlp.c_fc.weight"), f.vector(prefix + "mlp.c_fc.bias"),
                f.tensor(prefix + "mlp.c_proj.weight"), f.vector(prefix + "mlp.c_proj.bias"));
    }

    /** The weight matrices: in_proj, out_proj, c_fc, c_proj. */
    public java.util.List<Tensor> matrices() {
        return java.util.List.of(inProj, outProj, cFc, cProj);
    }

    /** forward(x) on x [batch·seq, width] in place, with t's heads, mask, activation and eps. */
    void forward(Backend be, Workspace ws, Transformer t, float[] x, int batch, int seq) {
        int w = t.width(), m = Math.multiplyExact(batch, seq);
        float[] h = ws.floats(H, Math.multiplyExact(m, w)), qkv = ws.floats(QKV, Math.multiplyExact(m, 3 * w)),
                attn = ws.floats(ATTN, m * w), mlp = ws.floats(MLP, Math.multiplyExact(m, 4 * w));
        // x = x + self.attention(self.ln_1(x)): in_proj, scaled dot-product attention, out_proj
        be.layerNorm(x, m, w, ln1Weight, ln1Bias, t.eps(), h);
        be.linear(h, m, w, inProj, inProjBias, qkv, Epilogue.NONE);
        be.attention(qkv, batch, seq, w, t.heads(), t.causal(), attn);
        be.linear(attn, m, w, outProj, outProjBias, x, Epilogue.RESIDUAL);
        // x = x + self.mlp(self.ln_2(x)): c_fc, QuickGELU or GELU, c_proj
        be.layerNorm(x, m, w, ln2Weight, ln2Bias, t.eps(), h);
        be.linear(h, m, w, cFc, cFcBias, mlp, t.activation().epilogue());
        be.linear(mlp, m, 4 * w, cProj, cProjBias, x, Epilogue.RESIDUAL);
    }
}
