package clip4j.backend;

import clip4j.io.ModelFile;
import clip4j.io.Tensor;

/** One residual attention block (clip-spec §2): small vectors copied to arrays, matrices left in the mapping. */
public record BlockWeights(float[] ln1Weight, float[] ln1Bias, Tensor inProj, float[] inProjBias,
                           Tensor outProj, float[] outProjBias, float[] ln2Weight, float[] ln2Bias,
                           Tensor cFc, float[] cFcBias, Tensor cProj, float[] cProjBias) {

    public static BlockWeights load(ModelFile f, String prefix) {
        return new BlockWeights(
                vec(f, prefix + "ln_1.weight"), vec(f, prefix + "ln_1.bias"),
                f.tensor(prefix + "attn.in_proj_weight"), vec(f, prefix + "attn.in_proj_bias"),
                f.tensor(prefix + "attn.out_proj.weight"), vec(f, prefix + "attn.out_proj.bias"),
                vec(f, prefix + "ln_2.weight"), vec(f, prefix + "ln_2.bias"),
                f.tensor(prefix + "mlp.c_fc.weight"), vec(f, prefix + "mlp.c_fc.bias"),
                f.tensor(prefix + "mlp.c_proj.weight"), vec(f, prefix + "mlp.c_proj.bias"));
    }

    /** A small tensor (a bias, a LayerNorm weight, an embedding) copied to an array. */
    public static float[] vec(ModelFile f, String name) {
        return f.tensor(name).toFloatArray();
    }
}
