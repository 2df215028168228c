package clip4j.model;

import clip4j.ClipException;
import clip4j.io.DType;
import clip4j.io.Safetensors;
import clip4j.io.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Our model file (docs/model-file.md): safetensors with 64-byte-aligned tensors named as in {@link WeightSchema},
 * stored as f32, f16 or bf16, and string metadata: {@code clip4j.format} = "1", the {@link ClipConfig} keys,
 * {@code bpe_merges} (the merge lines of docs/tokenizer.md#vocabulary-file, newline-separated: 48,894 for OpenAI's
 * vocabulary),
 * {@code source}, and {@code clip4j.random_weights} when the weights are random (made from a seed, not trained).
 * Opening maps the file; tensors stay in the mapping, nothing is copied to the heap.
 */
public final class ModelFile implements AutoCloseable {
    public static final String FORMAT_KEY = "clip4j.format";
    public static final String FORMAT_VERSION = "1";
    public static final String BPE_KEY = "bpe_merges";
    public static final String SOURCE_KEY = "source";
    public static final String RANDOM_KEY = "clip4j.random_weights";

    private final Path path;
    private final Safetensors file;
    private final ClipConfig config;

    private ModelFile(Path path, Safetensors file, ClipConfig config) {
        this.path = path;
        this.file = file;
        this.config = config;
    }

    public static ModelFile open(Path path) {
        if (!Files.isRegularFile(path)) throw new ClipException("model file not found: " + path);
        Safetensors st = Safetensors.open(path);
        try {
            Map<String, String> meta = st.metadata();
            if (!FORMAT_VERSION.equals(meta.get(FORMAT_KEY))) {
                throw new ClipException(path + " is not a clip4j model file (convert it first with 'clip4j convert')");
            }
            ClipConfig config = ClipConfig.fromMetadata(meta);
            Map<String, long[]> schema = WeightSchema.of(config);
            for (Map.Entry<String, long[]> e : schema.entrySet()) {
                Tensor t = st.tensors().get(e.getKey());
                if (t == null) throw new ClipException(path + ": missing tensor '" + e.getKey() + "'");
                if (!t.hasShape(e.getValue())) {
                    throw new ClipException(path + ": tensor '" + e.getKey() + "' has shape " + t.shapeString()
                            + ", expected " + Arrays.toString(e.getValue()));
                }
                if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
                    throw new ClipException(path + ": tensor '" + e.getKey() + "' has dtype " + t.dtype());
                }
            }
            for (String name : st.tensors().keySet()) {
                if (!schema.containsKey(name)) throw new ClipException(path + ": unknown tensor '" + name + "'");
            }
            return new ModelFile(path, st, config);
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /**
     * What identifies this file's content without reading it all: its real path, size and modification time (a
     * converter writes a new file and renames it, so a changed model gets a new time).
     */
    public String identity() {
        try {
            return path.toRealPath() + "|" + Files.size(path) + "|" + Files.getLastModifiedTime(path).toMillis();
        } catch (java.io.IOException e) {
            throw new ClipException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public ClipConfig config() {
        return config;
    }

    public Tensor tensor(String name) {
        Tensor t = file.tensors().get(name);
        if (t == null) throw new ClipException(path + ": missing tensor '" + name + "'");
        return t;
    }

    /** A small tensor (a bias, a LayerNorm weight, an embedding) copied to an array. */
    public float[] vector(String name) {
        return tensor(name).toFloatArray();
    }

    /** The BPE merges embedded by the converter, or null when the file carries none. */
    public String bpeMerges() {
        return file.metadata().get(BPE_KEY);
    }

    /** How the weights were made when they are random ("seed 0"), or null for trained weights. */
    public String randomWeights() {
        return file.metadata().get(RANDOM_KEY);
    }

    public Map<String, String> metadata() {
        return file.metadata();
    }

    /** Storage type of the weight matrices (the dtype of the text tower's first in_proj). */
    public DType weightDType() {
        return tensor("transformer.resblocks.0.attn.in_proj_weight").dtype();
    }

    @Override
    public void close() {
        file.close();
    }
}
