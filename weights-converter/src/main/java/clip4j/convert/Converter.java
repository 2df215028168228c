package clip4j.convert;

import clip4j.ClipException;
import clip4j.convert.torch.TorchCheckpoint;
import clip4j.io.DType;
import clip4j.io.Safetensors;
import clip4j.io.Tensor;
import clip4j.model.Activation;
import clip4j.model.Architectures;
import clip4j.model.ClipConfig;
import clip4j.model.ModelFileWriter.Source;
import clip4j.model.ModelFileWriter;
import clip4j.text.Bpe;
import clip4j.text.ClipTokenizer;
import clip4j.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Converts a checkpoint into our model file (docs/checkpoints.md): OpenAI TorchScript archives, torch.save zips,
 * safetensors (HF or OpenAI/open_clip names) and Hugging Face directories. Shapes come from the weights, as upstream
 * clip/model.py {@code build_model} infers them (docs/checkpoints.md#inferring-the-config);
 * activation and mean/std from config.json, from --arch, or from the format (OpenAI archives are QuickGELU);
 * when none can tell, the conversion stops and names the flag to pass.
 */
public final class Converter {
    private static final System.Logger LOG = System.getLogger("clip4j");

    private Converter() {
    }

    /** What was read: raw tensors, and what the format itself says about the model. */
    private record Input(Map<String, Source> tensors, String kind, Activation activation, int[] heads,
                         float[] mean, float[] std, List<String> merges, String randomWeights) {
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
        ClipConfig byArch = arch == null ? null : Architectures.byName(arch);
        Activation act = in.activation;
        if (byArch != null) {
            if (act != null && act != byArch.activation()) {
                throw new ClipException(input + " says " + act.key + " but --arch " + arch + " means " + byArch.activation().key);
            }
            act = byArch.activation();
        }
        if (act == null) {
            throw new ClipException("cannot tell the activation of " + input.getFileName() + ": pass --arch, e.g. --arch ViT-B-32 "
                    + "(exact GELU, LAION open_clip) or --arch ViT-B-32-quickgelu (OpenAI weights)");
        }
        float logitScale = canon.logitScale();
        if (Float.isNaN(logitScale)) {
            logitScale = (float) Math.log(100.0);
            LOG.log(System.Logger.Level.WARNING, input.getFileName() + " has no logit_scale; using ln(100)");
        }
        ClipConfig inferred = infer(canon.tensors(), in.heads, act, in.mean, in.std, logitScale, arch);
        if (byArch != null && (byArch.visionWidth() != inferred.visionWidth()
                || byArch.patchSize() != inferred.patchSize() || byArch.textWidth() != inferred.textWidth())) {
            throw new ClipException("--arch " + arch + " does not match the weights' shapes (" + inferred + ")");
        }
        String merges = merges(in, bpe != null ? bpe : in.merges == null ? bpeMissing.get() : null, inferred.vocabSize());
        if (merges == null) LOG.log(System.Logger.Level.WARNING, "no BPE merges (--bpe FILE): the converted model will not tokenize text");
        ModelFileWriter.write(output, inferred, canon.tensors(), merges,
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
        int[] heads = {num(vision, "num_attention_heads", 12), num(text, "num_attention_heads", 8)};
        float[] mean = null, std = null;
        Path pre = dir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(pre)) {
            Map<String, Object> p = json(pre);
            if (p.get("image_mean") instanceof List<?> m && p.get("image_std") instanceof List<?> s) {
                mean = floats(m, pre);
                std = floats(s, pre);
            }
        }
        Map<String, Source> tensors = null;
        for (String name : new String[]{"model.safetensors", "pytorch_model.bin"}) {
            Path f = dir.resolve(name);
            if (!Files.isRegularFile(f)) continue;
            tensors = name.endsWith(".safetensors") ? readSafetensors(f, mapped) : TorchCheckpoint.read(f).tensors();
            break;
        }
        if (tensors == null) throw new ClipException(dir + " has neither model.safetensors nor pytorch_model.bin");
        List<String> merges = null;
        Path mergesFile = dir.resolve("merges.txt");
        if (Files.isRegularFile(mergesFile)) {
            merges = readString(mergesFile).lines().toList();
        }
        String random = cfg.get(RandomModel.CONFIG_KEY) instanceof String r ? r : null;
        return new Input(tensors, "Hugging Face directory", act, heads, mean, std, merges, random);
    }

    private static ClipConfig infer(Map<String, Source> t, int[] heads, Activation act, float[] mean, float[] std,
                                    float logitScale, String arch) {
        long[] conv = shape(t, "visual.conv1.weight");
        int w = (int) conv[0];
        int p = (int) conv[3];
        int tokens = (int) shape(t, "visual.positional_embedding")[0];
        int g = (int) Math.round(Math.sqrt(tokens - 1));
        if (g * g + 1 != tokens) throw new ClipException("visual.positional_embedding has " + tokens + " rows, not a square grid + 1");
        int visionLayers = countLayers(t, "visual.transformer.resblocks.");
        int textLayers = countLayers(t, "transformer.resblocks.");
        long[] tok = shape(t, "token_embedding.weight");
        int d = (int) shape(t, "ln_final.weight")[0];
        int e = (int) shape(t, "visual.proj.weight")[0];
        int context = (int) shape(t, "positional_embedding")[0];
        int vh = heads != null ? heads[0] : w / 64;
        int th = heads != null ? heads[1] : Math.max(1, d / 64);
        String name = arch != null ? arch : knownName(w, visionLayers, p, p * g, d, textLayers, (int) e, act);
        return new ClipConfig(name, w, visionLayers, Math.max(1, vh), p, p * g, d, textLayers, th, context, (int) tok[0], e, act,
                mean != null ? mean : ClipConfig.OPENAI_MEAN, std != null ? std : ClipConfig.OPENAI_STD, 1e-5f, logitScale);
    }

    /** The open_clip name of a known shape (with -quickgelu where it applies), else a descriptive one. */
    private static String knownName(int w, int vl, int p, int r, int d, int tl, int e, Activation act) {
        for (String n : Architectures.NAMES) {
            ClipConfig k = Architectures.byName(n);
            if (k.visionWidth() == w && k.visionLayers() == vl && k.patchSize() == p && k.imageSize() == r
                    && k.textWidth() == d && k.textLayers() == tl && k.embedDim() == e) {
                return act == Activation.QUICK_GELU ? n + "-quickgelu" : n;
            }
        }
        return "custom-vit-w" + w + "-p" + p + "-r" + r;
    }

    private static long[] shape(Map<String, Source> t, String name) {
        Source s = t.get(name);
        if (s == null) throw new ClipException("checkpoint lacks '" + name + "' (not a ViT CLIP?)");
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

    private static int num(Map<String, Object> m, String k, int dflt) {
        Object v = m.get(k);
        if (v == null) return dflt;
        if (v instanceof Long n && n > 0 && n <= 4096) return n.intValue();
        throw new ClipException("config.json: '" + k + "' must be a whole number from 1 to 4096, not " + v);
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
