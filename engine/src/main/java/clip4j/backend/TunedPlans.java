package clip4j.backend;

import clip4j.ClipException;
import clip4j.io.AtomicFiles;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * The tuner's choices, kept in {@code gemm-plans.properties} under the cache directory: one entry per machine key
 * (CPU model, core count, JDK version, vector width, threads), so a plan is tuned once per machine and setting and a
 * new JDK or CPU tunes again; and the vector width 'clip4j tune' found fastest per machine and thread count.
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
        GemmTuner.Result r = GemmTuner.tune(species, threads, BUDGET_SECONDS, cacheDir);
        LOG.log(System.Logger.Level.INFO, String.format("tuned the matrix products for this CPU (%d-bit, %d threads) in %.1f s: %s (%s)",
                species.vectorBitSize(), threads, r.seconds(), r.best(), keep(cacheDir, key(species, threads), r.best().toString())));
        return r;
    }

    /**
     * The vector widths worth timing against each other on this machine: 256 and 512 bits where the JVM prefers 512
     * (AVX-512 runs both with 32 registers, and which is faster depends on the CPU: how it splits or clocks 512-bit
     * FMAs), else only the preferred one (with AVX2 a 128-bit FMA does half the work of a 256-bit one in the same slot).
     */
    public static List<Integer> widths() {
        int preferred = VectorBackend.speciesForBits(0).vectorBitSize();
        return preferred >= 512 ? List.of(256, preferred) : List.of(preferred);
    }

    /**
     * The vector width 'clip4j tune' found fastest for this machine and thread count (the tuner's timings at each width,
     * each width in a JVM of its own), or 0 when none was kept: then the JVM's preferred width.
     */
    public static int width(int threads, Path cacheDir) {
        if (cacheDir == null) return 0;
        String kept = read(cacheDir.resolve(FILE)).getProperty(widthKey(threads));
        return kept != null && widths().stream().anyMatch(w -> w.toString().equals(kept.strip())) ? Integer.parseInt(kept.strip()) : 0;
    }

    /** Keeps the vector width chosen for this machine and thread count; says where (or why not). */
    public static String keepWidth(int threads, int bits, Path cacheDir) {
        return keep(cacheDir, widthKey(threads), Integer.toString(bits));
    }

    /** Sets one entry of the plans file, rewritten whole and atomically; "kept in FILE" or "not kept: why". */
    private static String keep(Path cacheDir, String key, String value) {
        Path file = cacheDir.resolve(FILE);
        Properties plans = read(file); // another process may have added its machine meanwhile
        plans.setProperty(key, value);
        StringWriter text = new StringWriter();
        try {
            plans.store(text, "GEMM plans and vector widths chosen by timing (clip4j tune); delete an entry to tune again");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        try {
            AtomicFiles.writeString(file, text.toString());
            return "kept in " + file;
        } catch (ClipException e) {
            return "not kept: " + e.getMessage();
        }
    }

    /** What a plan is chosen for: "AMD EPYC 9B45 (family 26, model 2); 2 cores; JDK 25.0.3+9-LTS; 512-bit; 2 threads". */
    public static String key(VectorSpecies<Float> species, int threads) {
        return cpuModel() + "; " + Runtime.getRuntime().availableProcessors() + " cores; JDK " + Runtime.version() + "; "
                + species.vectorBitSize() + "-bit; " + threads + " threads";
    }

    /** What a vector width is chosen for: the key of a plan without the width. */
    static String widthKey(int threads) {
        return cpuModel() + "; " + Runtime.getRuntime().availableProcessors() + " cores; JDK " + Runtime.version() + "; "
                + threads + " threads; vector width";
    }

    /**
     * The CPU's model name from /proc/cpuinfo with its family and model numbers ("AMD EPYC (family 25, model 17)"), or
     * "unknown CPU". Virtual machines often show only a vendor's line ("AMD EPYC" on Zen 4 and on Zen 5 alike), so the
     * numbers tell such CPUs apart.
     */
    static String cpuModel() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            String name = null, family = null, model = null;
            for (String l : (Iterable<String>) lines::iterator) {
                if (l.isBlank()) break; // the first processor is enough
                String value = l.substring(l.indexOf(':') + 1).strip();
                if (l.startsWith("model name")) name = value;
                else if (l.startsWith("cpu family")) family = value;
                else if (l.startsWith("model") && l.substring(5).strip().startsWith(":")) model = value;
            }
            if (name == null) return "unknown CPU";
            return family == null || model == null ? name : name + " (family " + family + ", model " + model + ")";
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
