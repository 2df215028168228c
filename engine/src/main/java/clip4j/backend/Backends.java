package clip4j.backend;

import clip4j.ClipException;
import clip4j.util.Log;

import java.util.ServiceLoader;

/**
 * Explicit backend selection by device name; the choice is logged, and an unavailable device is an error,
 * never a silent fallback. {@code -Dclip4j.vectorBits=128|256|512} pins the Vector API species.
 */
public final class Backends {
    private Backends() {
    }

    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public static Backend create(String device, int threads) {
        if (threads < 1) throw new ClipException("--threads must be at least 1");
        Backend b = switch (device) {
            case "cpu" -> {
                requireVectorApi();
                yield VectorBackend.create(VectorBackend.speciesForBits(Integer.getInteger("clip4j.vectorBits", 0)), threads);
            }
            case "cpu-reference" -> new ScalarBackend();
            default -> fromProvider(device, threads);
        };
        Log.info("backend " + b.name());
        return b;
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

    private static Backend fromProvider(String device, int threads) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.device().equals(device)) return p.create(threads);
        }
        throw new ClipException("no backend for --device " + device + " (available: cpu, cpu-reference)");
    }
}
