package clip4j.backend;

import clip4j.ClipException;

import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Explicit backend selection by device name; the choice is logged, and an unavailable device is an error,
 * never a silent fallback.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("clip4j");

    private Backends() {
    }

    /** The backend the options name; a setting the chosen backend has no use for is an error, not ignored. */
    public static Backend create(EngineOptions o) {
        boolean cpu = o.device().equals("cpu") || o.device().equals("cpu-reference");
        if (cpu && o.precision() != EngineOptions.Precision.FP32) {
            throw new ClipException("precision " + o.precision().name().toLowerCase(java.util.Locale.ROOT) + " is for device backends; "
                    + o.device() + " computes in fp32");
        }
        if (!o.device().equals("cpu") && (o.vectorBits() != 0 || !o.packWeights() || o.retune() || o.gemmPlan() != null)) {
            throw new ClipException("the vector width, weight packing and GEMM tuning are settings of the cpu backend, not of " + o.device());
        }
        Backend b = switch (o.device()) {
            case "cpu" -> {
                requireVectorApi();
                // the width asked for, else the one 'clip4j tune' found fastest here, else the JVM's preferred one
                var species = VectorBackend.speciesForBits(o.vectorBits() != 0 ? o.vectorBits() : TunedPlans.width(o.threads(), o.cacheDir()));
                GemmPlan plan = o.gemmPlan() != null ? o.gemmPlan() : TunedPlans.planFor(species, o.threads(), o.cacheDir(), o.retune());
                Path panels = o.cacheDir() != null && o.packWeights() ? panelDir(o.cacheDir()) : null;
                yield VectorBackend.create(species, o.threads(), plan, o.packWeights(), panels);
            }
            case "cpu-reference" -> new ScalarBackend();
            default -> fromProvider(o);
        };
        LOG.log(System.Logger.Level.DEBUG, "backend " + b.name());
        return b;
    }

    /** Where the cpu backend keeps the models' panel files under a cache directory. */
    private static Path panelDir(Path cacheDir) {
        return cacheDir.resolve("panels");
    }

    /**
     * Deletes the cpu backend's panel files (its packed copies of models' weights) whose model files are gone, from the
     * cache directory it was given; returns the bytes freed.
     */
    public static long removeOrphanedPanelFiles(Path cacheDir) {
        return WeightPanels.removeOthers(panelDir(cacheDir), null, null);
    }

    /**
     * The Vector API is an incubator module, so the JVM loads it only when asked; without it the first vector class
     * fails with a bare NoClassDefFoundError. This says what to do instead.
     */
    private static void requireVectorApi() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new ClipException("the cpu backend needs Java's Vector API, which is not enabled: start java with "
                    + "--add-modules jdk.incubator.vector (or use the slow cpu-reference backend)");
        }
    }

    private static Backend fromProvider(EngineOptions o) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.device().equals(o.device())) return p.create(o);
        }
        throw new ClipException("no backend for device '" + o.device() + "' (available: cpu, cpu-reference, and cuda with the kernels module)");
    }
}
