package clip4j.spark;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import clip4j.fewshot.AdapterFile;
import clip4j.model.ClipModel;
import clip4j.zeroshot.ZeroShotClassifier;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an executor JVM loads once and keeps for its lifetime: each model file (memory-mapped from the path every
 * executor sees; the driver never ships the weights), its zero-shot classifiers and adapter files. Tasks running at
 * once in one executor share them (the backend runs one product at a time, on all the threads it was given).
 */
final class ExecutorModels {
    private record Loaded(Backend backend, ClipModel model) {
    }

    private static final Map<String, Loaded> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, ZeroShotClassifier> ZERO_SHOT = new ConcurrentHashMap<>();
    private static final Map<String, AdapterFile> ADAPTERS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** @param threads the backend's threads, or 0 for every core of the executor's machine */
    static ClipModel model(String path, int threads) {
        return MODELS.computeIfAbsent(path + "|" + threads, k -> {
            EngineOptions o = EngineOptions.defaults();
            if (threads > 0) o = o.withThreads(threads);
            Backend be = Backends.create(o);
            try {
                return new Loaded(be, ClipModel.load(Path.of(path), be));
            } catch (RuntimeException e) {
                be.close();
                throw e;
            }
        }).model();
    }

    static ZeroShotClassifier zeroShot(ClipModel model, String path, List<String> labels, List<String> templates) {
        return ZERO_SHOT.computeIfAbsent(path + "|" + labels + "|" + templates, k -> ZeroShotClassifier.build(model, labels, templates));
    }

    static AdapterFile adapter(String path) {
        return ADAPTERS.computeIfAbsent(path, k -> AdapterFile.read(Path.of(k)));
    }
}
