package clip4j.backend;

import clip4j.ClipException;
import clip4j.io.AtomicFiles;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The tuner's choices, kept in {@code gemm-plans.properties} under the cache directory: one entry per machine key
 * (CPU model, core count, JDK version, vector width, threads), so a plan is tuned once per machine and setting and a
 * new JDK or CPU tunes again.
 */
public final class TunedPlans {
    static final String FILE = "gemm-plans.properties";
    /** The tuner's time budget. */
    static final double BUDGET_SECONDS = 1.9;
    private static final System.Logger LOG = System.getLogger("clip4j");

    private TunedPlans() {
    }

    /**
     * The plan for this machine: the cached one, else (or when retune) a new one tuned now and cached; without a cache
     * directory the untuned seed.
     */
    static GemmPlan planFor(VectorSpecies<Float> species, int threads, Path cacheDir, boolean retune) {
        if (cacheDir == null) return GemmPlan.seed(VectorBackend.registers());
        String key = key(species, threads);
        Path file = cacheDir.resolve(FILE);
        Properties plans = read(file);
        String cached = plans.getProperty(key);
        if (cached != null && !retune) {
            try {
                return GemmPlan.parse(cached);
            } catch (ClipException e) {
                LOG.log(System.Logger.Level.DEBUG, file + ": " + e.getMessage() + "; tuning again");
            }
        }
        return tuneAndKeep(species, threads, cacheDir).best();
    }

    /** Tunes now and keeps the choice in the cache directory (when it can be written: the tuning is not lost on that). */
    public static GemmTuner.Result tuneAndKeep(VectorSpecies<Float> species, int threads, Path cacheDir) {
        String key = key(species, threads);
        Path file = cacheDir.resolve(FILE);
        GemmTuner.Result r = GemmTuner.tune(species, threads, BUDGET_SECONDS, cacheDir);
        Properties plans = read(file); // another process may have added its machine meanwhile
        plans.setProperty(key, r.best().toString());
        StringWriter text = new StringWriter();
        try {
            plans.store(text, "GEMM plans chosen by timing (clip4j tune); delete an entry to tune again");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        try {
            AtomicFiles.writeString(file, text.toString());
            LOG.log(System.Logger.Level.INFO, String.format("tuned the matrix products for this CPU in %.1f s: %s (kept in %s)",
                    r.seconds(), r.best(), file));
        } catch (ClipException e) {
            LOG.log(System.Logger.Level.INFO, String.format("tuned the matrix products for this CPU in %.1f s: %s (not kept: %s)",
                    r.seconds(), r.best(), e.getMessage()));
        }
        return r;
    }

    /** What a plan is chosen for: "AMD EPYC 9B45; 2 cores; JDK 25.0.3+9-LTS; 512-bit; 2 threads". */
    public static String key(VectorSpecies<Float> species, int threads) {
        return cpuModel() + "; " + Runtime.getRuntime().availableProcessors() + " cores; JDK " + Runtime.version() + "; "
                + species.vectorBitSize() + "-bit; " + threads + " threads";
    }

    /** The CPU's model name from /proc/cpuinfo, or "unknown CPU". */
    static String cpuModel() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse("unknown CPU");
        } catch (IOException | RuntimeException e) {
            return "unknown CPU";
        }
    }

    private static Properties read(Path file) {
        Properties p = new Properties();
        if (!Files.isRegularFile(file)) return p;
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.DEBUG, "unreadable " + file + ", tuning again: " + e.getMessage());
            return new Properties();
        }
        return p;
    }
}
