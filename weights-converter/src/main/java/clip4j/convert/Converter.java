package clip4j.convert;

import clip4j.ClipException;
import clip4j.convert.torch.TorchCheckpoint;
import clip4j.io.DType;
import clip4j.io.Safetensors;
import clip4j.io.Tensor;
import clip4j.model.Activation;
import clip4j.model.Architectures;
import clip4j.model.BatchNormFold;
import clip4j.model.ClipConfig;
import clip4j.model.ModelFileWriter.Source;
import clip4j.model.ModelFileWriter;
import clip4j.model.ResNetLayout;
import clip4j.text.Bpe;
import clip4j.text.ClipTokenizer;
import clip4j.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Converts a checkpoint into our model file (docs/checkpoints.md): OpenAI TorchScript archives, torch.save zips,
 * safetensors (HF or OpenAI/open_clip names), Hugging Face directories and open_clip directories; ViT and ResNet
 * CLIPs. Shapes come from the weights, as upstream clip/model.py {@code build_model} infers them (docs/checkpoints.md#inferring-the-config);
 * activation and mean/std from config.json, from --arch, or from the format (OpenAI archives are QuickGELU);
 * when none can tell, the conversion stops and names the flag to pass.
 */
public final class Converter {
    private static final System.Logger LOG = System.getLogger("clip4j");

    private Converter() {
    }

    /**
     * What was read: raw tensors, and what the format itself says about the model. heads: the stated vision and text
     * head counts (0 where not stated: then the weights' width / the head width); stated: an open_clip config's image
     * tower, checked against the weights.
     */
    private record Input(Map<String, Source> tensors, String kind, Activation activation, int[] heads,
                         float[] mean, float[] std, List<String> merges, String randomWeights, StatedVision stated) {
        Input(Map<String, Source> tensors, String kind, Activation activation, int[] heads, float[] mean, float[] std,
              List<String> merges, String randomWeights) {
            this(tensors, kind, activation, heads, mean, std, merges, randomWeights, null);
        }
    }

    /** An open_clip config's image tower: a ResNet or not (null if not stated), its width (0 if not stated), its head width. */
    private record StatedVision(Boolean resnet, int width, int headWidth) {
    }

    public static ClipConfig convert(Path input, Path output, String arch, Path bpe, DType dtype) {
        return convert(input, output, arch, bpe, () -> null, dtype);
    }

    /**
     * @param bpe        a BPE file whose merges replace the checkpoint's own, or null
     * @param bpeMissing asked for a BPE file only when there is no {@code bpe} and the checkpoint brings no merges
     *                   (OpenAI, open_clip and safetensors checkpoints); null from it converts without a tokenizer
     */
    public static ClipConfig convert(Path input, Path output, String arch, Path bpe, Supplier<Path> bpeMissing, DType dtype) {
        List<Safetensors> mapped = new ArrayList<>();
        try {
            return convert(read(input, mapped), input, output, arch, bpe, bpeMissing, dtype);
        } finally {
            for (Safetensors st : mapped) st.close(); // unmapped now, not when the JVM exits
        }
    }

    private static ClipConfig convert(Input in, Path input, Path output, String arch, Path bpe, Supplier<Path> bpeMissing, DType dtype) {
        Naming.Canonical canon = Naming.canonical(in.tensors);
        boolean resnet = isResNet(canon.tensors());
        ClipConfig byArch = arch == null ? null : Architectures.byName(arch);
        Activation act = in.activation;
        if (byArch != null) {
            if (act != null && act != byArch.activation()) {
                throw new ClipException(input + " says " + act.key + " but --arch " + arch + " means " + byArch.activation().key);
            }
            act = byArch.activation();
        }
        if (act == null) {
            String example = resnet ? "RN50" : "ViT-B-32";
            throw new ClipException("cannot tell the activation of " + input.getFileName() + ": pass --arch, e.g. --arch " + example
                    + " (exact GELU, LAION open_clip) or --arch " + example + "-quickgelu (OpenAI weights)");
        }
        float logitScale = canon.logitScale();
        if (Float.isNaN(logitScale)) {
            logitScale = (float) Math.log(100.0);
            LOG.log(System.Logger.Level.WARNING, input.getFileName() + " has no logit_scale; using ln(100)");
        }
        int headWidth = in.stated != null ? in.stated.headWidth() : 64;
        ClipConfig inferred = resnet ? inferResNet(canon.tensors(), in.heads, headWidth, act, in.mean, in.std, logitScale, arch)
                : infer(canon.tensors(), in.heads, headWidth, act, in.mean, in.std, logitScale, arch);
        if (in.stated != null && ((in.stated.resnet() != null && in.stated.resnet() != resnet)
                || (in.stated.width() > 0 && in.stated.width() != inferred.visionWidth()))) {
            String kind = in.stated.resnet() == null ? "an image tower" : in.stated.resnet() ? "a ResNet" : "a ViT";
            throw new ClipException(input.getFileName() + ": " + OPEN_CLIP_CONFIG + " describes " + kind
                    + (in.stated.width() > 0 ? " of width " + in.stated.width() : "") + " but the weights are " + inferred);
        }
        if (byArch != null && !sameShape(byArch, inferred)) {
            throw new ClipException("--arch " + arch + " does not match the weights' shapes (" + inferred + ")");
        }
        Map<String, Source> tensors = resnet ? foldResNet(canon.tensors(), inferred) : canon.tensors();
        String merges = merges(in, bpe != null ? bpe : in.merges == null ? bpeMissing.get() : null, inferred.vocabSize());
        if (merges == null) LOG.log(System.Logger.Level.WARNING, "no BPE merges (--bpe FILE): the converted model will not tokenize text");
        ModelFileWriter.write(output, inferred, tensors, merges,
                "converted from " + input.getFileName() + " (" + in.kind + ")", in.randomWeights, dtype);
        LOG.log(System.Logger.Level.DEBUG, "wrote " + output + ": " + inferred + ", " + dtype.name().toLowerCase());
        return inferred;
    }

    /** The merges the text encoder's vocabulary needs (vocab − 514, as CLIP's merges[1:49152−256−2+1]), or null. */
    private static String merges(Input in, Path bpeFile, int vocab) {
        int needed = vocab - Bpe.BASE_IDS;
        if (bpeFile == null && in.merges == null) return null;
        if (needed < 0) throw new ClipException("the text encoder's vocabulary of " + vocab + " tokens is too small for a BPE tokenizer");
        if (bpeFile != null) return ClipTokenizer.readMerges(bpeFile, needed);
        return ClipTokenizer.merges(in.merges, needed, in.kind + ": merges.txt (for a vocabulary of " + vocab + ")");
    }

    private static Input read(Path input, List<Safetensors> mapped) {
        if (Files.isDirectory(input) && !Files.isRegularFile(input.resolve("config.json"))
                && Files.isRegularFile(input.resolve(OPEN_CLIP_CONFIG))) return readOpenClipDirectory(input, mapped);
        if (Files.isDirectory(input)) return readHfDirectory(input, mapped);
        if (!Files.isRegularFile(input)) throw new ClipException("input not found: " + input);
        try {
            byte[] head = TorchCheckpoint.head(input);
            if (TorchCheckpoint.isZip(head)) {
                TorchCheckpoint.Contents c = TorchCheckpoint.read(input);
                return new Input(c.tensors(), c.torchScript() ? "OpenAI TorchScript" : "torch.save",
                        c.torchScript() ? Activation.QUICK_GELU : null, null, null, null, null, null);
            }
            if (TorchCheckpoint.isLegacy(head)) {
                throw new ClipException(input + " is a legacy (pre-1.6, non-zip) torch file; re-save it with a current torch.save");
            }
            if (head.length >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') {
                throw new ClipException(input + " is a GGUF (clip.cpp) file, which is not supported; convert the original checkpoint");
            }
            if (Safetensors.sniff(input)) return new Input(readSafetensors(input, mapped), "safetensors", null, null, null, null, null, null);
        } catch (IOException e) {
            throw new ClipException("cannot read " + input + ": " + e.getMessage(), e);
        }
        throw new ClipException(input + ": not a recognised checkpoint (torch zip, TorchScript, safetensors or a Hugging Face directory)");
    }

    /** A safetensors file's tensors as float views over its mapping, which the caller closes (listed in mapped). */
    private static Map<String, Source> readSafetensors(Path file, List<Safetensors> mapped) {
        Safetensors st = Safetensors.open(file);
        mapped.add(st);
        Map<String, Source> m = new LinkedHashMap<>();
        for (Tensor t : st.tensors().values()) m.put(t.name(), new Source(t.shape(), t::getFloat));
        return m;
    }

    /** The config of an open_clip model directory (as open_clip's push_to_hf_hub writes it). */
    static final String OPEN_CLIP_CONFIG = "open_clip_config.json";

    /**
     * An open_clip model directory (open_clip_config.json with model_cfg and preprocess_cfg, and open_clip_model.safetensors
     * or open_clip_pytorch_model.bin in OpenAI's names): the activation from model_cfg.quick_gelu, heads from
     * text_cfg.heads and vision_cfg.head_width (default 64), mean/std from preprocess_cfg; a merges.txt beside it, when
     * there is one, gives the vocabulary (clip4j init-random writes one).
     */
    private static Input readOpenClipDirectory(Path dir, List<Safetensors> mapped) {
        Path configFile = dir.resolve(OPEN_CLIP_CONFIG);
        Map<String, Object> cfg = json(configFile);
        Map<String, Object> model = section(cfg, "model_cfg", configFile);
        Map<String, Object> vision = section(model, "vision_cfg", configFile), text = section(model, "text_cfg", configFile);
        Object quick = model.getOrDefault("quick_gelu", Boolean.FALSE);
        if (!(quick instanceof Boolean q)) throw new ClipException(configFile + ": 'quick_gelu' must be true or false");
        // the head counts follow from the weights' widths and head_width; the rest is checked against the weights
        Object layers = vision.get("layers");
        StatedVision stated = new StatedVision(layers == null ? null : layers instanceof List<?>, num(vision, "width", 0, configFile),
                num(vision, "head_width", 64, configFile));
        int[] heads = {0, num(text, "heads", 0, configFile)};
        Map<String, Object> pre = section(cfg, "preprocess_cfg", configFile);
        float[] mean = pre.get("mean") instanceof List<?> m ? floats(m, configFile) : null;
        float[] std = pre.get("std") instanceof List<?> sd ? floats(sd, configFile) : null;
        Map<String, Source> tensors = readWeights(dir, "open_clip_model.safetensors", "open_clip_pytorch_model.bin", mapped);
        List<String> merges = readMerges(dir);
        String random = cfg.get(RandomModel.CONFIG_KEY) instanceof String r ? r : null;
        return new Input(tensors, "open_clip directory", q ? Activation.QUICK_GELU : Activation.GELU, heads, mean, std, merges, random, stated);
    }

    /** A model directory's weights: its safetensors file, else its torch.save file. */
    private static Map<String, Source> readWeights(Path dir, String safetensors, String torchSave, List<Safetensors> mapped) {
        if (Files.isRegularFile(dir.resolve(safetensors))) return readSafetensors(dir.resolve(safetensors), mapped);
        if (Files.isRegularFile(dir.resolve(torchSave))) return TorchCheckpoint.read(dir.resolve(torchSave)).tensors();
        throw new ClipException(dir + " has neither " + safetensors + " nor " + torchSave);
    }

    /** The lines of a model directory's merges.txt (header first), or null when it has none. */
    private static List<String> readMerges(Path dir) {
        Path f = dir.resolve("merges.txt");
        return Files.isRegularFile(f) ? readString(f).lines().toList() : null;
    }

    private static Input readHfDirectory(Path dir, List<Safetensors> mapped) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) throw new ClipException(dir + " has no config.json (not a Hugging Face model directory)");
        Map<String, Object> cfg = json(configFile);
        Map<String, Object> vision = section(cfg, "vision_config", configFile);
        Map<String, Object> text = section(cfg, "text_config", configFile);
        String actName = String.valueOf(vision.getOrDefault("hidden_act", "quick_gelu"));
        Activation act = switch (actName) {
            case "quick_gelu" -> Activation.QUICK_GELU;
            case "gelu" -> Activation.GELU;
            default -> throw new ClipException(configFile + ": unsupported hidden_act '" + actName + "'");
        };
        int[] heads = {num(vision, "num_attention_heads", 12, configFile), num(text, "num_attention_heads", 8, configFile)};
        float[] mean = null, std = null;
        Path pre = dir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(pre)) {
            Map<String, Object> p = json(pre);
            if (p.get("image_mean") instanceof List<?> m && p.get("image_std") instanceof List<?> s) {
                mean = floats(m, pre);
                std = floats(s, pre);
            }
        }
        Map<String, Source> tensors = readWeights(dir, "model.safetensors", "pytorch_model.bin", mapped);
        List<String> merges = readMerges(dir);
        String random = cfg.get(RandomModel.CONFIG_KEY) instanceof String r ? r : null;
        return new Input(tensors, "Hugging Face directory", act, heads, mean, std, merges, random);
    }

    /** Whether --arch names the shape the weights have (the image tower's kind and sizes, the text width). */
    private static boolean sameShape(ClipConfig a, ClipConfig w) {
        return a.isResNet() == w.isResNet() && a.visionWidth() == w.visionWidth() && a.patchSize() == w.patchSize()
                && a.textWidth() == w.textWidth() && Arrays.equals(a.resnetLayers(), w.resnetLayers())
                && (!a.isResNet() || a.imageSize() == w.imageSize());
    }

    /**
     * A ResNet CLIP's image tower, as upstream build_model decides (no visual.proj: a ModifiedResNet), with its
     * attention pool or stages present; a ResNet without the "visual." prefix is an image classifier (torchvision,
     * timm), not a CLIP.
     */
    private static boolean isResNet(Map<String, Source> t) {
        if (t.containsKey("visual.proj.weight")) return false;
        if (t.keySet().stream().anyMatch(k -> k.startsWith("visual.attnpool.") || k.startsWith("visual.layer1."))) return true;
        if (t.containsKey("layer1.0.conv1.weight") && t.keySet().stream().noneMatch(k -> k.startsWith("visual."))) {
            throw new ClipException("this is a ResNet image classifier (torchvision or timm names: layer1.0.conv1, fc), not a CLIP "
                    + "checkpoint: it has no text tower and no attention pool");
        }
        return false;
    }

    /** The text tower's shape, the same for every image tower. */
    private record TextShape(int width, int layers, int heads, int context, int vocab) {
        static TextShape of(Map<String, Source> t, int[] heads) {
            int d = (int) shape(t, "ln_final.weight", 1)[0];
            return new TextShape(d, countLayers(t, "transformer.resblocks."), heads != null && heads[1] > 0 ? heads[1] : Math.max(1, d / 64),
                    (int) shape(t, "positional_embedding", 2)[0], (int) shape(t, "token_embedding.weight", 2)[0]);
        }
    }

    /**
     * A ResNet's config from its weights, as build_model infers it: blocks per stage (the indices under
     * visual.layerN.), the stem width (layer1.0.conv1's output channels), the resolution (32 × the side of the attention
     * pool's grid), the embedding (c_proj's outputs), heads width·32/64 (or the config's); then every upstream tensor
     * of the tower must be there with its shape.
     */
    private static ClipConfig inferResNet(Map<String, Source> t, int[] heads, int headWidth, Activation act, float[] mean, float[] std,
                                          float logitScale, String arch) {
        int[] layers = new int[4];
        for (int s = 0; s < 4; s++) {
            while (t.containsKey("visual.layer" + (s + 1) + "." + layers[s] + ".conv1.weight")) layers[s]++;
            if (layers[s] == 0) throw new ClipException("checkpoint lacks 'visual.layer" + (s + 1) + ".0.conv1.weight' (a ResNet CLIP has four stages)");
        }
        int width = (int) shape(t, "visual.layer1.0.conv1.weight", 4)[0];
        int tokens = (int) shape(t, "visual.attnpool.positional_embedding", 2)[0];
        int side = (int) Math.round(Math.sqrt(tokens - 1));
        if (side * side + 1 != tokens) throw new ClipException("visual.attnpool.positional_embedding has " + tokens + " rows, not a square grid + 1");
        int e = (int) shape(t, "visual.attnpool.c_proj.weight", 2)[0];
        TextShape text = TextShape.of(t, heads);
        int vh = heads != null && heads[0] > 0 ? heads[0] : heads(width * 32, headWidth, "attention pool");
        ClipConfig c = new ClipConfig("", width, Arrays.stream(layers).sum(), vh, 32, 32 * side, text.width(), text.layers(), text.heads(), text.context(),
                text.vocab(), e, act, mean != null ? mean : ClipConfig.OPENAI_MEAN, std != null ? std : ClipConfig.OPENAI_STD, 1e-5f,
                logitScale, layers);
        c = c.withArchitecture(arch != null ? arch : knownName(c, act));
        Map<String, long[]> upstream = ResNetLayout.upstream(c);
        for (Map.Entry<String, long[]> u : upstream.entrySet()) {
            Source s = t.get(u.getKey());
            if (s == null) throw new ClipException("checkpoint lacks '" + u.getKey() + "' (" + c.architecture() + " needs it)");
            if (!Arrays.equals(s.shape(), u.getValue())) {
                throw new ClipException("tensor '" + u.getKey() + "' has shape " + Arrays.toString(s.shape()) + ", expected "
                        + Arrays.toString(u.getValue()));
            }
        }
        for (String k : t.keySet()) {
            if (k.startsWith("visual.") && !upstream.containsKey(k)) throw new ClipException("unknown tensor '" + k + "' in a ResNet CLIP");
        }
        return c;
    }

    /** Our tensors of a ResNet CLIP: the image tower with its BatchNorms folded ({@link BatchNormFold}), the text tower as is. */
    private static Map<String, Source> foldResNet(Map<String, Source> t, ClipConfig c) {
        Map<String, Source> out = new LinkedHashMap<>(BatchNormFold.fold(c, name -> t.get(name).values()));
        t.forEach((k, v) -> {
            if (!k.startsWith("visual.")) out.put(k, v);
        });
        return out;
    }

    private static ClipConfig infer(Map<String, Source> t, int[] heads, int headWidth, Activation act, float[] mean, float[] std,
                                    float logitScale, String arch) {
        long[] conv = shape(t, "visual.conv1.weight", 4);
        int w = (int) conv[0];
        int p = (int) conv[3];
        int tokens = (int) shape(t, "visual.positional_embedding", 2)[0];
        int g = (int) Math.round(Math.sqrt(tokens - 1));
        if (g * g + 1 != tokens) throw new ClipException("visual.positional_embedding has " + tokens + " rows, not a square grid + 1");
        int visionLayers = countLayers(t, "visual.transformer.resblocks.");
        TextShape text = TextShape.of(t, heads);
        int e = (int) shape(t, "visual.proj.weight", 2)[0];
        int vh = heads != null && heads[0] > 0 ? heads[0] : heads != null ? heads(w, headWidth, "image tower") : w / 64;
        ClipConfig c = new ClipConfig("", w, visionLayers, Math.max(1, vh), p, p * g, text.width(), text.layers(), text.heads(),
                text.context(), text.vocab(), e, act, mean != null ? mean : ClipConfig.OPENAI_MEAN,
                std != null ? std : ClipConfig.OPENAI_STD, 1e-5f, logitScale);
        return c.withArchitecture(arch != null ? arch : knownName(c, act));
    }

    /** The open_clip name of a known shape (with -quickgelu where it applies), else a descriptive one. */
    private static String knownName(ClipConfig c, Activation act) {
        for (String n : Architectures.NAMES) {
            ClipConfig k = Architectures.byName(n);
            if (k.visionWidth() == c.visionWidth() && k.visionLayers() == c.visionLayers() && k.patchSize() == c.patchSize()
                    && k.imageSize() == c.imageSize() && Arrays.equals(k.resnetLayers(), c.resnetLayers())
                    && k.textWidth() == c.textWidth() && k.textLayers() == c.textLayers() && k.embedDim() == c.embedDim()) {
                return act == Activation.QUICK_GELU ? n + "-quickgelu" : n;
            }
        }
        return c.isResNet() ? "custom-rn-w" + c.visionWidth() + "-r" + c.imageSize()
                : "custom-vit-w" + c.visionWidth() + "-p" + c.patchSize() + "-r" + c.imageSize();
    }

    /** The shape of a tensor that must be there with the given rank. */
    private static long[] shape(Map<String, Source> t, String name, int rank) {
        Source s = t.get(name);
        if (s == null) throw new ClipException("checkpoint lacks '" + name + "' (not a ViT CLIP?)");
        if (s.shape().length != rank) {
            throw new ClipException("tensor '" + name + "' has shape " + Arrays.toString(s.shape()) + ", not " + rank + "-dimensional");
        }
        return s.shape();
    }

    private static int countLayers(Map<String, Source> t, String prefix) {
        int n = 0;
        while (t.containsKey(prefix + n + ".attn.in_proj_weight")) n++;
        if (n == 0) throw new ClipException("checkpoint has no '" + prefix + "0.*' layers");
        return n;
    }

    /** A sub-object of config.json, or an empty one when absent; anything else there is an error. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> cfg, String key, Path file) {
        Object v = cfg.get(key);
        if (v == null) return Map.of();
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new ClipException(file + ": '" + key + "' is not an object");
    }

    private static int num(Map<String, Object> m, String k, int dflt, Path file) {
        Object v = m.get(k);
        if (v == null) return dflt;
        if (v instanceof Long n && n > 0 && n <= 4096) return n.intValue();
        throw new ClipException(file.getFileName() + ": '" + k + "' must be a whole number from 1 to 4096, not " + v);
    }

    /** Heads of a width: width / headWidth, which must divide it. */
    private static int heads(int width, int headWidth, String what) {
        if (width % headWidth != 0) throw new ClipException("a head width of " + headWidth + " does not divide the " + what + "'s width " + width);
        return width / headWidth;
    }

    private static float[] floats(List<?> l, Path file) {
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            if (!(l.get(i) instanceof Number n)) throw new ClipException(file + ": image_mean and image_std must hold numbers");
            f[i] = n.floatValue();
        }
        return f;
    }

    private static Map<String, Object> json(Path p) {
        try {
            return Json.parseObject(readString(p));
        } catch (ClipException e) {
            throw new ClipException(p + ": " + e.getMessage());
        }
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new ClipException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
