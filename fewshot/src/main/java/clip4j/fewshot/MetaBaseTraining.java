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

/**
 * meta-train (a clean variant of upstream Meta-Adapter main.py {@code run_meta_adapter};
 * docs/adapters.md#meta-adapter-training): a K-shot support draw over all classes builds the cache; query
 * images of the base classes, disjoint from the support, are classified among all classes (novel ones as negatives,
 * supports present); the epoch is chosen on a disjoint base-class validation set.
 */
public final class MetaBaseTraining {
    private MetaBaseTraining() {
    }

    public static MetaAdapter train(ClipModel model, FeatureStore store, Dataset d, List<String> baseClasses, List<String> templates,
                                    int shots, long seed, int epochs, int augmentEpochs) {
        if (baseClasses.isEmpty()) throw new ClipException("the list of base classes is empty");
        float[][] w = ZeroShotClassifier.build(store::textEmbeddings, model.config().embedDim(), model.logitScaleFactor(), d.classNames(),
                templates).weights();
        FewShotSampler.Split support = FewShotSampler.sample(d, shots, seed, 0);
        Set<ImageItem> used = new HashSet<>(support.shots());
        List<ImageItem> rest = new ArrayList<>();
        for (ImageItem it : d.items()) if (!used.contains(it) && baseClasses.contains(d.classNames().get(it.label()))) rest.add(it);
        Dataset pool = new Dataset(d.name(), d.classNames(), rest);
        List<Integer> baseIdx = baseClasses.stream().map(c -> d.classNames().indexOf(c)).toList();
        List<ImageItem> queries = new ArrayList<>(), val = new ArrayList<>();
        List<List<ImageItem>> groups = pool.byClass();
        java.util.Random rnd = new java.util.Random(seed + 1);
        for (int c : baseIdx) {
            List<ImageItem> g = new ArrayList<>(groups.get(c));
            if (g.size() < 2) throw new ClipException("base class '" + d.classNames().get(c) + "' has too few images beyond its support shots");
            java.util.Collections.shuffle(g, rnd);
            int q = Math.min(shots, g.size() - 1);
            queries.addAll(g.subList(0, q));
            val.addAll(g.subList(q, Math.min(g.size(), q + Math.min(shots, 4))));
        }
        int passes = Math.max(1, augmentEpochs);
        float[][] keys = new float[support.shots().size()][];
        float[][] sum = new float[keys.length][];
        for (int p = 0; p < passes; p++) {
            FeatureStore.View v = augmentEpochs == 0 ? FeatureStore.View.PLAIN : FeatureStore.View.augmented(seed, p);
            float[][] f = store.features(support.shots(), v, "support cache pass " + (p + 1)).features();
            for (int i = 0; i < f.length; i++) {
                if (f[i] == null) throw new ClipException("unreadable support image " + support.shots().get(i).id());
                if (sum[i] == null) sum[i] = new float[f[i].length];
                for (int t = 0; t < f[i].length; t++) sum[i][t] += f[i][t] / passes;
            }
        }
        for (int i = 0; i < keys.length; i++) keys[i] = Embeddings.normalize(sum[i]);
        int[] keyLabels = support.shots().stream().mapToInt(ImageItem::label).toArray();
        List<float[][]> qViews = new ArrayList<>();
        int[] qLabels = queries.stream().mapToInt(ImageItem::label).toArray();
        for (int p = 0; p < passes; p++) {
            FeatureStore.View v = augmentEpochs == 0 ? FeatureStore.View.PLAIN : FeatureStore.View.augmented(seed + 1, p);
            float[][] f = store.features(queries, v, "base-class queries pass " + (p + 1)).features();
            for (int i = 0; i < f.length; i++) {
                if (f[i] == null) throw new ClipException("unreadable query image " + queries.get(i).id());
                f[i] = Embeddings.normalize(f[i]);
            }
            qViews.add(f);
        }
        // validation: unreadable images (skipped by a store that is not strict) are left out
        float[][] read = store.features(val, FeatureStore.View.PLAIN, "base-class validation").features();
        List<float[]> vfs = new ArrayList<>();
        List<Integer> vls = new ArrayList<>();
        for (int i = 0; i < read.length; i++) {
            if (read[i] == null) continue;
            vfs.add(Embeddings.normalize(read[i]));
            vls.add(val.get(i).label());
        }
        float[][] vf = vfs.toArray(float[][]::new);
        int[] vl = vls.stream().mapToInt(Integer::intValue).toArray();
        FewShotData data = new FewShotData(w, keys, keyLabels, qViews, qViews, vf, vl, new float[0][], new int[0]);
        return MetaTraining.train(data, qViews, qLabels, vf, vl, epochs, seed, null);
    }

    /**
     * The base classes of a base-to-novel split: "halves" = the first half of the class order (CoCoOp), "zero-shot" =
     * the 70% of classes zero-shot CLIP classifies best on up to 16 training images per class (the paper's split:
     * novel classes are the hard ones), or an explicit list.
     */
    public static List<String> baseClasses(String spec, ClipModel model, FeatureStore store, Dataset d, List<String> templates) {
        List<String> names = d.classNames();
        if (spec.equals("halves")) return names.subList(0, (names.size() + 1) / 2);
        if (!spec.equals("zero-shot")) return java.util.Arrays.stream(spec.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
        float[][] w = ZeroShotClassifier.build(store::textEmbeddings, model.config().embedDim(), model.logitScaleFactor(), names, templates)
                .weights();
        List<ImageItem> probe = FewShotSampler.limitPerClass(d, 16, 12345);
        float[][] f = store.features(probe, FeatureStore.View.PLAIN, "zero-shot split probe").features();
        int[] hit = new int[names.size()], tot = new int[names.size()];
        TipAdapter zs = new TipAdapter(w, new float[0][], new int[0]);
        for (int i = 0; i < f.length; i++) {
            if (f[i] == null) continue;
            int y = probe.get(i).label();
            tot[y]++;
            if (FMath.argmax(zs.zeroShotLogits(Embeddings.normalize(f[i]))) == y) hit[y]++;
        }
        Integer[] order = new Integer[names.size()];
        for (int c = 0; c < order.length; c++) order[c] = c;
        java.util.Arrays.sort(order, (a, b) -> Double.compare((double) hit[b] / Math.max(1, tot[b]), (double) hit[a] / Math.max(1, tot[a])));
        int nBase = (int) Math.round(0.7 * names.size());
        List<String> base = new ArrayList<>();
        for (int c = 0; c < nBase; c++) base.add(names.get(order[c]));
        return base;
    }
}
