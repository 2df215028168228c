package clip4j.testing;

import clip4j.io.DType;
import clip4j.model.Architectures;
import clip4j.model.SeededWeights;
import clip4j.util.Json;
import org.junit.jupiter.api.Assumptions;

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

    /**
     * OpenAI's BPE file (bpe_simple_vocab_16e6.txt.gz, not in the repository): from ../shared/data, $CLIP4J_BPE, or the
     * user cache the CLI downloads it into ($CLIP4J_CACHE, $XDG_CACHE_HOME/clip4j or ~/.cache/clip4j); null when absent.
     */
    public static Path bpeFile() {
        String name = "bpe_simple_vocab_16e6.txt.gz";
        String env = System.getenv("CLIP4J_BPE");
        String own = System.getenv("CLIP4J_CACHE");
        String xdg = System.getenv("XDG_CACHE_HOME");
        String home = System.getenv("HOME");
        Path cache = own != null && !own.isBlank() ? Path.of(own) : xdg != null && !xdg.isBlank() ? Path.of(xdg, "clip4j")
                : Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".cache", "clip4j");
        Path s = shared();
        for (Path f : new Path[]{s == null ? null : s.resolve("data").resolve(name), env == null || env.isBlank() ? null : Path.of(env),
                cache.resolve(name)}) {
            if (f != null && Files.isRegularFile(f)) return f;
        }
        return null;
    }

    /**
     * OpenAI's BPE file for a test that needs it. Without it the test is skipped, loudly (a banner on stderr, which
     * the build log shows); with CLIP4J_REQUIRE_BPE=1 (CI sets it) it fails instead, so CI never skips it.
     */
    public static Path requireBpe(String test) {
        Path f = bpeFile();
        if (f != null) return f;
        String why = test + " needs OpenAI's bpe_simple_vocab_16e6.txt.gz (not in the repository): set CLIP4J_BPE to it, or run "
                + "'./clip4j convert' or './clip4j demo' once online so it is downloaded into the user cache";
        if ("1".equals(System.getenv("CLIP4J_REQUIRE_BPE"))) throw new AssertionError("CLIP4J_REQUIRE_BPE=1: " + why);
        System.err.println("\n*** SKIPPED: " + why + " ***\n");
        Assumptions.abort(why);
        return null;
    }

    /**
     * A seeded f32 model that tokenises on every machine: {@link #seededModel} with OpenAI's vocabulary when present,
     * else the same weights with a byte-level vocabulary (no merges, 514 tokens: the first rows of the same embedding).
     */
    public static Path seededModelWithText(String arch, long seed) {
        if (bpeFile() != null) return seededModel(arch, seed, DType.F32);
        return MODELS.computeIfAbsent(arch + "/" + seed + "/bytes", k -> {
            try {
                Path f = SeededWeights.writeTempModel(Architectures.byName(arch).withVocabSize(clip4j.text.Bpe.BASE_IDS), seed, "", DType.F32);
                f.toFile().deleteOnExit();
                return f;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
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

    /** A seeded model file in our format (made once per JVM and architecture/seed/dtype), with OpenAI's vocabulary when present. */
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
