package clip4j.testing;

import clip4j.io.DType;
import clip4j.model.Architectures;
import clip4j.random.SeededWeights;
import clip4j.util.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Shared test helpers: goldens, the ../shared data folder, and seeded model files made once per JVM. */
public final class TestData {
    private static final Map<String, Path> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    private TestData() {
    }

    /** ../shared (beside the repository), or null when absent. */
    public static Path shared() {
        String p = System.getProperty("clip4j.shared");
        Path dir = p != null ? Path.of(p) : Path.of("..", "..", "shared");
        return Files.isDirectory(dir) ? dir.toAbsolutePath().normalize() : null;
    }

    /** CLIP's BPE file from ../shared/data, or null when absent. */
    public static Path bpeFile() {
        Path s = shared();
        if (s == null) return null;
        Path f = s.resolve("data/bpe_simple_vocab_16e6.txt.gz");
        return Files.isRegularFile(f) ? f : null;
    }

    public static Map<String, Object> json(String resource) {
        try (InputStream in = TestData.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            return Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A test resource as a file; resources inside a jar (the engine test-jar) are copied out once. */
    public static Path resource(String resource) {
        java.net.URL url = TestData.class.getResource(resource);
        if (url == null) throw new IllegalStateException("missing test resource " + resource);
        try {
            if (url.getProtocol().equals("file")) return Path.of(url.toURI());
            return EXTRACTED.computeIfAbsent(resource, r -> {
                try (InputStream in = url.openStream()) {
                    Path d = Files.createTempDirectory("clip4j-res");
                    Path f = d.resolve(Path.of(r).getFileName().toString());
                    Files.copy(in, f);
                    f.toFile().deleteOnExit();
                    d.toFile().deleteOnExit();
                    return f;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static float[] floats(Object list) {
        List<?> l = (List<?>) list;
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) f[i] = ((Number) l.get(i)).floatValue();
        return f;
    }

    public static int[] ints(Object list) {
        List<?> l = (List<?>) list;
        int[] v = new int[l.size()];
        for (int i = 0; i < v.length; i++) v[i] = ((Number) l.get(i)).intValue();
        return v;
    }

    /** A seeded model file in our format (made once per JVM and architecture/seed/dtype). */
    public static Path seededModel(String arch, long seed, DType dtype) {
        return MODELS.computeIfAbsent(arch + "/" + seed + "/" + dtype, k -> {
            try {
                String merges = bpeFile() == null ? null : clip4j.text.ClipTokenizer.readMerges(bpeFile());
                Path f = SeededWeights.writeTempModel(Architectures.byName(arch), seed, merges, dtype);
                f.toFile().deleteOnExit();
                return f;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
