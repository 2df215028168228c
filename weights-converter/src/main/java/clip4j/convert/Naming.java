package clip4j.convert;

import clip4j.ClipException;
import clip4j.model.ClipConfig;
import clip4j.model.ModelFileWriter.Source;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parameter names (docs/checkpoints.md#name-mapping): OpenAI/open_clip and Hugging Face (the mapping of transformers'
 * models/clip/convert_clip_original_pytorch_to_hf.py) to our canonical names
 * ({@link clip4j.model.WeightSchema}) and back. Projections are transposed into Linear layout, HF's separate
 * q/k/v projections are stacked into in_proj, and known non-weights are dropped; any other name is an error.
 */
public final class Naming {
    private static final Pattern HF_LAYER = Pattern.compile("(text|vision)_model\\.encoder\\.layers\\.(\\d+)\\.(.+)");
    private static final Map<String, String> HF_LAYER_PARTS = Map.of(
            "self_attn.out_proj.weight", "attn.out_proj.weight", "self_attn.out_proj.bias", "attn.out_proj.bias",
            "layer_norm1.weight", "ln_1.weight", "layer_norm1.bias", "ln_1.bias",
            "layer_norm2.weight", "ln_2.weight", "layer_norm2.bias", "ln_2.bias",
            "mlp.fc1.weight", "mlp.c_fc.weight", "mlp.fc1.bias", "mlp.c_fc.bias",
            "mlp.fc2.weight", "mlp.c_proj.weight", "mlp.fc2.bias", "mlp.c_proj.bias");
    private static final Map<String, String> HF_TOP = Map.ofEntries(
            Map.entry("text_model.embeddings.token_embedding.weight", "token_embedding.weight"),
            Map.entry("text_model.embeddings.position_embedding.weight", "positional_embedding"),
            Map.entry("text_model.final_layer_norm.weight", "ln_final.weight"),
            Map.entry("text_model.final_layer_norm.bias", "ln_final.bias"),
            Map.entry("vision_model.embeddings.class_embedding", "visual.class_embedding"),
            Map.entry("vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"),
            Map.entry("vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"),
            Map.entry("vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"),
            Map.entry("vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"),
            Map.entry("vision_model.post_layernorm.weight", "visual.ln_post.weight"),
            Map.entry("vision_model.post_layernorm.bias", "visual.ln_post.bias"),
            Map.entry("visual_projection.weight", "visual.proj.weight"),
            Map.entry("text_projection.weight", "text_projection.weight"));

    private Naming() {
    }

    /** Canonical tensors plus the stored logit scale (NaN when the checkpoint has none). */
    public record Canonical(Map<String, Source> tensors, float logitScale) {
    }

    public static Canonical canonical(Map<String, Source> raw) {
        Map<String, Source> in = stripPrefix(raw, "module.");
        boolean hf = in.keySet().stream().anyMatch(k -> k.startsWith("vision_model.") || k.startsWith("text_model."));
        Map<String, Source> out = new LinkedHashMap<>();
        float logitScale = Float.NaN;
        Map<String, Source[]> qkv = new TreeMap<>();
        for (Map.Entry<String, Source> e : in.entrySet()) {
            String k = e.getKey();
            Source s = e.getValue();
            if (k.equals("logit_scale")) {
                if (s.shape().length > 1 || (s.shape().length == 1 && s.shape()[0] != 1)) throw new ClipException("logit_scale is not a scalar");
                logitScale = s.values().get(0);
                continue;
            }
            // not weights: buffers of HF and of OpenAI's TorchScript modules, a BatchNorm's step counter
            if (k.endsWith("position_ids") || k.endsWith("attn_mask") || k.equals("input_resolution")
                    || k.equals("context_length") || k.equals("vocab_size") || k.endsWith(".num_batches_tracked")) continue;
            if (hf) {
                Matcher m = HF_LAYER.matcher(k);
                if (m.matches()) {
                    String prefix = (m.group(1).equals("text") ? "" : "visual.") + "transformer.resblocks." + m.group(2) + ".";
                    String part = m.group(3);
                    Matcher q = Pattern.compile("self_attn\\.([qkv])_proj\\.(weight|bias)").matcher(part);
                    if (q.matches()) {
                        String name = prefix + (q.group(2).equals("weight") ? "attn.in_proj_weight" : "attn.in_proj_bias");
                        qkv.computeIfAbsent(name, x -> new Source[3])["qkv".indexOf(q.group(1))] = s;
                        continue;
                    }
                    String mapped = HF_LAYER_PARTS.get(part);
                    if (mapped == null) throw new ClipException("unknown tensor '" + k + "'");
                    put(out, prefix + mapped, s);
                    continue;
                }
                String mapped = HF_TOP.get(k);
                if (mapped == null) throw new ClipException("unknown tensor '" + k + "'");
                put(out, mapped, s);
            } else if (k.equals("visual.proj") || k.equals("text_projection")) {
                put(out, k.equals("visual.proj") ? "visual.proj.weight" : "text_projection.weight", transpose(k, s));
            } else {
                put(out, k, s);
            }
        }
        qkv.forEach((name, parts) -> {
            for (Source p : parts) if (p == null) throw new ClipException("incomplete q/k/v projections for '" + name + "'");
            put(out, name, stackRows(name, parts));
        });
        return new Canonical(out, logitScale);
    }

    private static void put(Map<String, Source> out, String name, Source s) {
        if (out.put(name, s) != null) throw new ClipException("tensor '" + name + "' appears twice");
    }

    private static Map<String, Source> stripPrefix(Map<String, Source> raw, String prefix) {
        if (raw.isEmpty() || !raw.keySet().stream().allMatch(k -> k.startsWith(prefix))) return raw;
        Map<String, Source> m = new LinkedHashMap<>();
        raw.forEach((k, v) -> m.put(k.substring(prefix.length()), v));
        return m;
    }

    static Source transpose(String name, Source s) {
        if (s.shape().length != 2) throw new ClipException("tensor '" + name + "' should be 2-D, has shape " + java.util.Arrays.toString(s.shape()));
        long rows = s.shape()[0], cols = s.shape()[1];
        return new Source(new long[]{cols, rows}, i -> s.values().get((i % rows) * cols + i / rows));
    }

    static Source stackRows(String name, Source[] parts) {
        long[] shape = parts[0].shape().clone();
        long per = 1;
        for (long d : shape) per *= d;
        for (Source p : parts) {
            if (!java.util.Arrays.equals(p.shape(), parts[0].shape())) throw new ClipException("q/k/v shapes differ for '" + name + "'");
        }
        shape[0] *= parts.length;
        final long n = per;
        return new Source(shape, i -> parts[(int) (i / n)].values().get(i % n));
    }

    /** Canonical tensors to Hugging Face CLIPModel names (for init-random), with logit_scale. */
    public static Map<String, Source> toHf(Map<String, Source> canonical, ClipConfig c) {
        Map<String, Source> out = new LinkedHashMap<>();
        Map<String, String> inverseTop = new LinkedHashMap<>();
        HF_TOP.forEach((hf, canon) -> inverseTop.put(canon, hf));
        Map<String, String> inverseParts = new LinkedHashMap<>();
        HF_LAYER_PARTS.forEach((hf, canon) -> inverseParts.put(canon, hf));
        Pattern block = Pattern.compile("(visual\\.)?transformer\\.resblocks\\.(\\d+)\\.(.+)");
        for (Map.Entry<String, Source> e : canonical.entrySet()) {
            String k = e.getKey();
            Source s = e.getValue();
            Matcher m = block.matcher(k);
            if (!m.matches()) {
                out.put(inverseTop.get(k), s);
                continue;
            }
            String prefix = (m.group(1) != null ? "vision" : "text") + "_model.encoder.layers." + m.group(2) + ".";
            String part = m.group(3);
            if (part.equals("attn.in_proj_weight") || part.equals("attn.in_proj_bias")) {
                long third = s.shape()[0] / 3;
                long per = third * (s.shape().length == 2 ? s.shape()[1] : 1);
                for (int j = 0; j < 3; j++) {
                    long[] shape = s.shape().clone();
                    shape[0] = third;
                    long base = j * per;
                    out.put(prefix + "self_attn." + "qkv".charAt(j) + "_proj." + (part.endsWith("weight") ? "weight" : "bias"),
                            new Source(shape, i -> s.values().get(base + i)));
                }
            } else {
                out.put(prefix + inverseParts.get(part), s);
            }
        }
        float ls = c.logitScale();
        out.put("logit_scale", new Source(new long[]{}, i -> ls));
        return out;
    }
}
