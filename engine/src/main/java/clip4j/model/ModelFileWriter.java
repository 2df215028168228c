package clip4j.model;

import clip4j.ClipException;
import clip4j.io.DType;
import clip4j.io.SafetensorsWriter;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** Writes our model file ({@link ModelFile}) from canonical tensors, checking every name and shape first. */
public final class ModelFileWriter {
    private ModelFileWriter() {
    }

    /** A canonical tensor to store: its shape and a float view of its elements. */
    public record Source(long[] shape, SafetensorsWriter.FloatSource values) {
    }

    /** @param randomWeights how random weights were made ("seed 0"), or null for trained weights */
    public static void write(Path out, ClipConfig config, Map<String, Source> tensors, String bpeMerges,
                             String source, String randomWeights, DType storage) {
        Map<String, long[]> schema = WeightSchema.of(config);
        for (String name : tensors.keySet()) {
            if (!schema.containsKey(name)) throw new ClipException("unknown tensor '" + name + "'");
        }
        SafetensorsWriter w = new SafetensorsWriter();
        w.metadata(ModelFile.FORMAT_KEY, ModelFile.FORMAT_VERSION);
        config.toMetadata().forEach(w::metadata);
        if (bpeMerges != null) w.metadata(ModelFile.BPE_KEY, bpeMerges);
        w.metadata(ModelFile.SOURCE_KEY, source);
        if (randomWeights != null) w.metadata(ModelFile.RANDOM_KEY, randomWeights);
        for (Map.Entry<String, long[]> e : schema.entrySet()) {
            Source s = tensors.get(e.getKey());
            if (s == null) throw new ClipException("missing tensor '" + e.getKey() + "'");
            if (!Arrays.equals(s.shape(), e.getValue())) {
                throw new ClipException("tensor '" + e.getKey() + "' has shape " + Arrays.toString(s.shape())
                        + ", expected " + Arrays.toString(e.getValue()));
            }
            w.add(e.getKey(), storage, e.getValue(), s.values());
        }
        w.write(out);
    }
}
