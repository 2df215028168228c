package clip4j.convert;

import clip4j.io.AtomicFiles;
import clip4j.io.DType;
import clip4j.io.SafetensorsWriter;
import clip4j.model.ClipConfig;
import clip4j.model.ModelFileWriter.Source;
import clip4j.model.SeededWeights;
import clip4j.text.Bpe;
import clip4j.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code init-random}: a seeded model ({@link SeededWeights}) written as a Hugging Face directory (config.json,
 * preprocessor_config.json, model.safetensors), or for a ResNet, which Hugging Face's CLIPModel cannot hold, as an
 * open_clip directory (open_clip_config.json, open_clip_model.safetensors); with vocab.json + merges.txt when BPE
 * merges are given. Converting it exercises the converter's path for that kind of directory. The config marks the
 * weights as random under {@link #CONFIG_KEY}, which the converter carries into the model file.
 */
public final class RandomModel {
    /** config.json key saying the weights are random, and from which seed. */
    public static final String CONFIG_KEY = "clip4j_random_weights";

    private RandomModel() {
    }

    /**
     * Writes the directory; with merges, the text vocabulary is sized to them (514 + merges tokens), so a vocabulary
     * smaller than OpenAI's gives a smaller token embedding and nothing else changes.
     *
     * @return the configuration written
     */
    public static ClipConfig write(ClipConfig shape, long seed, Path dir, String merges) {
        Bpe bpe = merges == null ? null : new Bpe(merges.lines().toList());
        ClipConfig c = bpe == null ? shape : shape.withVocabSize(bpe.vocabSize());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new clip4j.ClipException("cannot create " + dir + ": " + e.getMessage());
        }
        if (c.isResNet()) writeOpenClipDirectory(c, seed, dir);
        else writeHfDirectory(c, seed, dir);
        if (bpe != null) {
            Map<String, Object> vocab = new LinkedHashMap<>();
            for (int i = 0; i < bpe.vocabSize(); i++) vocab.put(bpe.token(i), i);
            AtomicFiles.writeString(dir.resolve("vocab.json"), Json.write(vocab));
            AtomicFiles.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + merges + "\n");
        }
        return c;
    }

    /**
     * A ResNet CLIP (which Hugging Face's CLIPModel cannot hold) as an open_clip model directory: open_clip_config.json
     * and open_clip_model.safetensors in OpenAI's names, the image tower with its convolutions and BatchNorms unfolded.
     */
    private static void writeOpenClipDirectory(ClipConfig c, long seed, Path dir) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        SeededWeights.resnetUpstream(c, seed).forEach((name, s) -> w.add(name, DType.F32, s.shape(), s.values()));
        SeededWeights.tensors(c, seed).forEach((name, s) -> {
            if (name.equals("text_projection.weight")) {
                Source t = Naming.transpose(name, s);
                w.add("text_projection", DType.F32, t.shape(), t.values());
            } else if (!name.startsWith("visual.")) {
                w.add(name, DType.F32, s.shape(), s.values());
            }
        });
        float ls = c.logitScale();
        w.add("logit_scale", DType.F32, new long[]{}, i -> ls);
        w.write(dir.resolve("open_clip_model.safetensors"));
        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("image_size", c.imageSize());
        List<Object> layers = new ArrayList<>();
        for (int l : c.resnetLayers()) layers.add(l);
        vision.put("layers", layers);
        vision.put("width", c.visionWidth());
        vision.put("head_width", c.visionEmbed() / c.visionHeads());
        Map<String, Object> text = new LinkedHashMap<>();
        text.put("context_length", c.contextLength());
        text.put("vocab_size", c.vocabSize());
        text.put("width", c.textWidth());
        text.put("heads", c.textHeads());
        text.put("layers", c.textLayers());
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("embed_dim", c.embedDim());
        model.put("quick_gelu", c.activation() == clip4j.model.Activation.QUICK_GELU);
        model.put("vision_cfg", vision);
        model.put("text_cfg", text);
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("mean", floats(c.imageMean()));
        pre.put("std", floats(c.imageStd()));
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("model_cfg", model);
        cfg.put("preprocess_cfg", pre);
        cfg.put(CONFIG_KEY, "seed " + seed + " (clip4j init-random, " + c.architecture() + ")");
        AtomicFiles.writeString(dir.resolve(Converter.OPEN_CLIP_CONFIG), Json.write(cfg));
    }

    private static void writeHfDirectory(ClipConfig c, long seed, Path dir) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, Source> e : Naming.toHf(SeededWeights.tensors(c, seed), c).entrySet()) {
            w.add(e.getKey(), DType.F32, e.getValue().shape(), e.getValue().values());
        }
        w.write(dir.resolve("model.safetensors"));
        AtomicFiles.writeString(dir.resolve("config.json"), Json.write(config(c, seed)));
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("image_mean", floats(c.imageMean()));
        pre.put("image_std", floats(c.imageStd()));
        pre.put("crop_size", c.imageSize());
        pre.put("resample", 3);
        AtomicFiles.writeString(dir.resolve("preprocessor_config.json"), Json.write(pre));
    }

    private static Map<String, Object> config(ClipConfig c, long seed) {
        Map<String, Object> text = tower(c, c.textWidth(), c.textHeads(), c.textLayers());
        text.put("max_position_embeddings", c.contextLength());
        text.put("vocab_size", c.vocabSize());
        Map<String, Object> vision = tower(c, c.visionWidth(), c.visionHeads(), c.visionLayers());
        vision.put("image_size", c.imageSize());
        vision.put("patch_size", c.patchSize());
        vision.put("num_channels", 3);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("CLIPModel"));
        m.put("model_type", "clip");
        m.put("projection_dim", c.embedDim());
        m.put("logit_scale_init_value", 2.6592);
        m.put("text_config", text);
        m.put("vision_config", vision);
        m.put(CONFIG_KEY, "seed " + seed + " (clip4j init-random, " + c.architecture() + ")");
        return m;
    }

    /** The keys HF's text_config and vision_config share. */
    private static Map<String, Object> tower(ClipConfig c, int width, int heads, int layers) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hidden_size", width);
        m.put("intermediate_size", 4 * width);
        m.put("num_attention_heads", heads);
        m.put("num_hidden_layers", layers);
        m.put("hidden_act", c.activation().key);
        m.put("layer_norm_eps", (double) c.layerNormEps());
        return m;
    }

    private static List<Object> floats(float[] v) {
        List<Object> l = new ArrayList<>();
        for (float f : v) l.add(f);
        return l;
    }
}
