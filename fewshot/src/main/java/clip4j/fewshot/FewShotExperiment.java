package clip4j.fewshot;

import clip4j.ClipException;
import clip4j.data.Dataset;
import clip4j.data.FeatureStore;
import clip4j.data.FewShotSampler;
import clip4j.data.ImageItem;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;
import clip4j.zeroshot.ZeroShotClassifier;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The few-shot protocol (docs/adapters.md#protocol): for every shot count and seed, a seeded K-shot draw with a
 * disjoint min(K, 4)-per-class validation set (or a given one), the cache from averaged augmentation passes (as upstream
 * Tip-Adapter utils.py {@code build_cache_model} builds it; docs/adapters.md#cache), every method with its choices made
 * on validation only, and one evaluation of the shared test set. Features come from the store.
 */
public final class FewShotExperiment {
    private static final System.Logger LOG = System.getLogger("clip4j");

    public record Config(List<Method> methods, int[] shots, long[] seeds, List<String> templates, int augmentEpochs,
                         Methods.Options options) {
    }

    /** Everything a report needs: class names, test items and labels (unreadable ones dropped), and every run. */
    public record Outcome(List<String> classNames, List<ImageItem> test, int[] testLabels, List<RunResult> runs) {
    }

    private FewShotExperiment() {
    }

    /**
     * How many image encodings {@link #run} will do: the (image, view) pairs it asks the store for that the store
     * does not hold yet, each counted once (shots are nested across shot counts, and views are shared).
     */
    public static int encodingsNeeded(FeatureStore store, Dataset train, Dataset test, Dataset val, Config cfg) {
        Set<String> seen = new HashSet<>();
        int[] n = {0};
        BiConsumer<List<ImageItem>, FeatureStore.View> need = (items, view) -> {
            for (ImageItem it : items) if (seen.add(view.key() + "|" + it.contentHash()) && !store.has(it, view)) n[0]++;
        };
        need.accept(test.items(), FeatureStore.View.PLAIN);
        if (val != null) need.accept(val.items(), FeatureStore.View.PLAIN);
        for (int k : cfg.shots()) {
            for (long seed : cfg.seeds()) {
                FewShotSampler.Split split = FewShotSampler.sample(train, k, seed, Math.min(k, 4));
                for (int p = 0; p < Math.max(1, cfg.augmentEpochs()); p++) {
                    need.accept(split.shots(), cfg.augmentEpochs() == 0 ? FeatureStore.View.PLAIN : FeatureStore.View.augmented(seed, p));
                }
                if (val == null) need.accept(split.val(), FeatureStore.View.PLAIN);
            }
        }
        return n[0];
    }

    public static Outcome run(ClipModel model, FeatureStore store, Dataset train, Dataset test, Dataset val, Config cfg) {
        for (int k : cfg.shots()) if (k < 1) throw new ClipException("shots must be at least 1, not " + k);
        float[][] w = classWeights(model, store, train, cfg.templates());
        Kept t = keep(store.features(test.items(), FeatureStore.View.PLAIN, "test set"), test.items(), "test");
        Kept fixedVal = fixedVal(store, val);
        List<RunResult> runs = new ArrayList<>();
        for (int k : cfg.shots()) {
            for (long seed : cfg.seeds()) {
                FewShotSampler.Split split = FewShotSampler.sample(train, k, seed, Math.min(k, 4));
                FewShotData d = data(store, w, split, fixedVal, t, cfg.augmentEpochs(), seed);
                for (Method m : cfg.methods()) {
                    long t0 = System.nanoTime();
                    RunResult r = Methods.run(model.backend(), m, d, cfg.options(), k, seed);
                    LOG.log(System.Logger.Level.DEBUG, String.format(java.util.Locale.ROOT, "%s, %d-shot, seed %d: test accuracy %.2f%% %s (%.1f s)",
                            m.key, k, seed, 100 * r.accuracy(), rounded(r.chosen()), (System.nanoTime() - t0) / 1e9));
                    runs.add(r);
                }
            }
        }
        return new Outcome(train.classNames(), t.items, t.labels, runs);
    }

    /** A classifier to deploy: one method fitted on one (shots, seed) split of train, exactly as {@link #run} fits it. */
    public record Fitted(Classifier classifier, java.util.Map<String, Object> chosen) {
    }

    public static Fitted fit(ClipModel model, FeatureStore store, Dataset train, Dataset val, Method m, int shots, long seed,
                             List<String> templates, int augmentEpochs, Methods.Options o) {
        if (shots < 1) throw new ClipException("shots must be at least 1, not " + shots);
        float[][] w = classWeights(model, store, train, templates);
        FewShotSampler.Split split = FewShotSampler.sample(train, shots, seed, Math.min(shots, 4));
        Kept none = new Kept(List.of(), new float[0][], new int[0]);
        FewShotData d = data(store, w, split, fixedVal(store, val), none, augmentEpochs, seed);
        java.util.Map<String, Object> chosen = new java.util.LinkedHashMap<>();
        return new Fitted(Methods.fit(model.backend(), m, d, o, seed, chosen), chosen);
    }

    private static float[][] classWeights(ClipModel model, FeatureStore store, Dataset train, List<String> templates) {
        LOG.log(System.Logger.Level.DEBUG, "class weights from " + templates.size() + " template(s) x " + train.numClasses() + " classes");
        return ZeroShotClassifier.build(store::textEmbeddings, model.config().embedDim(), model.logitScaleFactor(),
                train.classNames(), templates).weights();
    }

    private static Kept fixedVal(FeatureStore store, Dataset val) {
        return val == null ? null : keep(store.features(val.items(), FeatureStore.View.PLAIN, "validation set"), val.items(), "validation");
    }

    private record Kept(List<ImageItem> items, float[][] features, int[] labels) {
    }

    /** Drops unreadable images; normalises the rest. */
    private static Kept keep(FeatureStore.Result r, List<ImageItem> items, String what) {
        List<ImageItem> ok = new ArrayList<>();
        List<float[]> f = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (r.features()[i] == null) continue;
            ok.add(items.get(i));
            f.add(Embeddings.normalize(r.features()[i]));
        }
        if (ok.isEmpty() && !items.isEmpty()) throw new ClipException("no readable image in the " + what + " set");
        float[][] feats = f.toArray(new float[0][]);
        FMath.requireFinite(feats, what + " features");
        return new Kept(ok, feats, ok.stream().mapToInt(ImageItem::label).toArray());
    }

    private static FewShotData data(FeatureStore store, float[][] w, FewShotSampler.Split split, Kept fixedVal, Kept test,
                                    int augmentEpochs, long seed) {
        List<ImageItem> shots = split.shots();
        int passes = Math.max(1, augmentEpochs);
        List<float[][]> raw = new ArrayList<>();
        for (int p = 0; p < passes; p++) {
            FeatureStore.View v = augmentEpochs == 0 ? FeatureStore.View.PLAIN : FeatureStore.View.augmented(seed, p);
            raw.add(store.features(shots, v, split.shotsPerClass() + "-shot cache, seed " + seed + (augmentEpochs == 0 ? "" : ", pass " + (p + 1) + "/" + passes)).features());
        }
        List<Integer> ok = new ArrayList<>();
        for (int i = 0; i < shots.size(); i++) if (raw.getFirst()[i] != null) ok.add(i);
        if (ok.isEmpty()) throw new ClipException("no readable shot image");
        int e = w[0].length;
        float[][] keys = new float[ok.size()][];
        int[] labels = new int[ok.size()];
        List<float[][]> views = new ArrayList<>(), rawViews = new ArrayList<>();
        for (int p = 0; p < passes; p++) {
            views.add(new float[ok.size()][]);
            rawViews.add(new float[ok.size()][]);
        }
        for (int j = 0; j < ok.size(); j++) {
            int i = ok.get(j);
            labels[j] = shots.get(i).label();
            float[] mean = new float[e];
            for (int p = 0; p < passes; p++) {
                float[] f = raw.get(p)[i];
                if (f == null) throw new ClipException("image " + shots.get(i).id() + " became unreadable");
                if (f.length != e) throw new ClipException("feature dimension " + f.length + " does not match the model's " + e);
                for (int t = 0; t < e; t++) mean[t] += f[t] / passes;
                views.get(p)[j] = Embeddings.normalize(f);
                rawViews.get(p)[j] = f;
            }
            keys[j] = Embeddings.normalize(mean);
        }
        FMath.requireFinite(keys, "cache keys");
        float[][] val;
        int[] valLabels;
        if (fixedVal != null) {
            val = fixedVal.features;
            valLabels = fixedVal.labels;
        } else {
            Kept v = keep(store.features(split.val(), FeatureStore.View.PLAIN, "validation set"), split.val(), "validation");
            val = v.features;
            valLabels = v.labels;
        }
        return new FewShotData(w, keys, labels, views, rawViews, val, valLabels, test.features, test.labels);
    }

    /** A run's choices for a log line: numbers to 4 significant digits (the report keeps them exact). */
    private static String rounded(java.util.Map<String, Object> chosen) {
        java.util.StringJoiner j = new java.util.StringJoiner(", ", "{", "}");
        chosen.forEach((key, v) -> j.add(key + "=" + (v instanceof Double d ? String.format(java.util.Locale.ROOT, "%.4g", d) : v)));
        return j.toString();
    }
}
