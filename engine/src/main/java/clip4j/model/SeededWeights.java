package clip4j.model;

import clip4j.io.DType;
import clip4j.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Deterministic pseudo-random CLIP weights that PyTorch can reproduce bit for bit (scripts/make_goldens.py mirrors
 * this file): element i of tensor {@code name} is
 * <pre>
 *   key = fnv1a64(utf8(name)) ^ (seed · 0x9E3779B97F4A7C15)
 *   z   = splitmix64(key + (i + 1) · 0x9E3779B97F4A7C15)
 *   u   = z >>> 40                                   (24 bits)
 *   x   = (float) (center + scale · (u − 2²³) / 2²³)  (in double, then rounded once)
 * </pre>
 * with (center, scale) per tensor kind from {@link #law}: unit-variance-preserving uniform weights, LayerNorm
 * gains near 1, small biases. Names and shapes are the canonical ones of {@link WeightSchema}.
 */
public final class SeededWeights {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private SeededWeights() {
    }

    /** Uniform law of a tensor: values in [center − scale, center + scale). */
    public record Law(double center, double scale) {
    }

    public static long fnv1a64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    static long splitmix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static float value(long key, Law law, long i) {
        long u = splitmix64(key + (i + 1) * GOLDEN) >>> 40;
        return (float) (law.center + law.scale * ((double) u - 8388608.0) / 8388608.0);
    }

    public static long key(long seed, String name) {
        return fnv1a64(name) ^ (seed * GOLDEN);
    }

    /** The law of a canonical tensor: uniform with std 1/√fan_in for matrices, gains near 1, small biases. */
    public static Law law(String name, long[] shape) {
        double root3 = Math.sqrt(3.0);
        // a ResNet's BatchNorms, far from the identity (upstream's init would hide a folding mistake): gains and
        // variances around 1, shifts and means around 0
        if (name.matches(".*\\.(bn\\d|downsample\\.1)\\.[a-z_]+")) {
            if (name.endsWith(".running_var")) return new Law(1.0, 0.5);
            if (name.endsWith(".weight")) return new Law(1.0, 0.25);
            return new Law(0.0, 0.1);
        }
        if (name.equals("visual.attnpool.positional_embedding")) return new Law(0.0, root3 / Math.sqrt(shape[shape.length - 1]));
        if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name.contains("ln_pre.weight")
                || name.contains("ln_post.weight") || name.equals("ln_final.weight")) return new Law(1.0, 0.1);
        if (name.contains("ln_") && name.endsWith(".bias")) return new Law(0.0, 0.05);
        if (name.endsWith("bias")) return new Law(0.0, 0.02);
        if (name.equals("token_embedding.weight")) return new Law(0.0, 0.02 * root3);
        if (name.equals("positional_embedding")) return new Law(0.0, 0.01 * root3);
        if (name.equals("visual.class_embedding") || name.equals("visual.positional_embedding")) {
            return new Law(0.0, root3 / Math.sqrt(shape[shape.length - 1]));
        }
        long fanIn = 1;
        for (int d = 1; d < shape.length; d++) fanIn *= shape[d];
        return new Law(0.0, root3 / Math.sqrt(fanIn));
    }

    /**
     * All canonical tensors of a seeded model, as lazily computed sources for the model-file writer. A ResNet's image
     * tower is seeded in upstream's names and shapes (convolutions, BatchNorms) and folded as a converter folds it.
     */
    public static Map<String, ModelFileWriter.Source> tensors(ClipConfig c, long seed) {
        Map<String, ModelFileWriter.Source> m = new LinkedHashMap<>();
        Map<String, ModelFileWriter.Source> upstream = c.isResNet() ? resnetUpstream(c, seed) : Map.of();
        Map<String, ModelFileWriter.Source> folded = c.isResNet() ? BatchNormFold.fold(c, name -> upstream.get(name).values()) : Map.of();
        for (Map.Entry<String, long[]> e : WeightSchema.of(c).entrySet()) {
            ModelFileWriter.Source f = folded.get(e.getKey());
            m.put(e.getKey(), f != null ? f : new ModelFileWriter.Source(e.getValue(), source(seed, e.getKey(), e.getValue())));
        }
        return m;
    }

    /** A ResNet's image tower in upstream's names and shapes ({@link ResNetLayout#upstream}), seeded: what {@link #tensors} folds. */
    public static Map<String, ModelFileWriter.Source> resnetUpstream(ClipConfig c, long seed) {
        Map<String, ModelFileWriter.Source> m = new LinkedHashMap<>();
        ResNetLayout.upstream(c).forEach((name, shape) -> m.put(name, new ModelFileWriter.Source(shape, source(seed, name, shape))));
        return m;
    }

    private static SafetensorsWriter.FloatSource source(long seed, String name, long[] shape) {
        long k = key(seed, name);
        Law law = law(name, shape);
        return i -> value(k, law, i);
    }

    /**
     * A model file of these weights (seed, stored as dtype, with BPE merges when given) at a new temporary path, for
     * tests, benchmarks and device checks; the caller deletes it.
     */
    public static Path writeTempModel(ClipConfig c, long seed, String bpeMerges, DType dtype) throws IOException {
        Path f = Files.createTempFile("clip4j-" + c.architecture().replace('/', '-') + "-", ".safetensors");
        ModelFileWriter.write(f, c, tensors(c, seed), bpeMerges, "seeded " + seed, "seed " + seed, dtype);
        return f;
    }
}
