package clip4j.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors of our model file and their shapes (docs/model-file.md#tensors), derived from a config. Names are
 * OpenAI's (the state dict of upstream clip/model.py {@code CLIP}), except the two projections, which we store in
 * Linear layout [out, in] as {@code visual.proj.weight} [E, W]
 * and {@code text_projection.weight} [E, D] (OpenAI's {@code visual.proj} and {@code text_projection}
 * transposed), so every matrix product in the engine is y = x·Wᵀ.
 */
public final class WeightSchema {
    private WeightSchema() {
    }

    public static Map<String, long[]> of(ClipConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        if (c.isResNet()) resnet(c, m);
        else vit(c, m);
        int d = c.textWidth();
        m.put("token_embedding.weight", new long[]{c.vocabSize(), d});
        m.put("positional_embedding", new long[]{c.contextLength(), d});
        blocks(m, "transformer.resblocks.", c.textLayers(), d);
        m.put("ln_final.weight", new long[]{d});
        m.put("ln_final.bias", new long[]{d});
        m.put("text_projection.weight", new long[]{c.embedDim(), d});
        return m;
    }

    /**
     * A ResNet's image tower in our file: each convolution with its BatchNorm folded in, so a weight and a bias, the
     * weight stored [out, kh, kw, in] (the matrix of the convolution as a GEMM over NHWC patches); then the attention pool.
     */
    private static void resnet(ClipConfig c, Map<String, long[]> m) {
        for (ResNetLayout.Conv v : ResNetLayout.convs(c)) {
            m.put(v.name() + ".weight", new long[]{v.out(), v.kernel(), v.kernel(), v.in()});
            m.put(v.name() + ".bias", new long[]{v.out()});
        }
        ResNetLayout.attnpool(c, m);
    }

    private static void vit(ClipConfig c, Map<String, long[]> m) {
        int w = c.visionWidth();
        int p = c.patchSize();
        m.put("visual.conv1.weight", new long[]{w, 3, p, p});
        m.put("visual.class_embedding", new long[]{w});
        m.put("visual.positional_embedding", new long[]{c.visionTokens(), w});
        m.put("visual.ln_pre.weight", new long[]{w});
        m.put("visual.ln_pre.bias", new long[]{w});
        blocks(m, "visual.transformer.resblocks.", c.visionLayers(), w);
        m.put("visual.ln_post.weight", new long[]{w});
        m.put("visual.ln_post.bias", new long[]{w});
        m.put("visual.proj.weight", new long[]{c.embedDim(), w});
    }

    private static void blocks(Map<String, long[]> m, String prefix, int layers, int w) {
        for (int i = 0; i < layers; i++) {
            String b = prefix + i + ".";
            m.put(b + "ln_1.weight", new long[]{w});
            m.put(b + "ln_1.bias", new long[]{w});
            m.put(b + "attn.in_proj_weight", new long[]{3L * w, w});
            m.put(b + "attn.in_proj_bias", new long[]{3L * w});
            m.put(b + "attn.out_proj.weight", new long[]{w, w});
            m.put(b + "attn.out_proj.bias", new long[]{w});
            m.put(b + "ln_2.weight", new long[]{w});
            m.put(b + "ln_2.bias", new long[]{w});
            m.put(b + "mlp.c_fc.weight", new long[]{4L * w, w});
            m.put(b + "mlp.c_fc.bias", new long[]{4L * w});
            m.put(b + "mlp.c_proj.weight", new long[]{w, 4L * w});
            m.put(b + "mlp.c_proj.bias", new long[]{w});
        }
    }
}
