package clip4j.data;

import clip4j.ClipException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Seeded K-shot sampling (docs/adapters.md#protocol): per class, a seeded shuffle; the first K are the shots (drawn
 * with replacement, with a warning, when a class has fewer), the next min(K, 4) the validation set, so shots and
 * validation never overlap. Shots come back class-contiguous in label order, exactly K per class.
 */
public final class FewShotSampler {
    private static final System.Logger LOG = System.getLogger("clip4j");

    private FewShotSampler() {
    }

    public record Split(List<ImageItem> shots, List<ImageItem> val, int shotsPerClass) {
    }

    public static Split sample(Dataset train, int k, long seed, int valPerClass) {
        if (k < 1) throw new ClipException("shots must be at least 1, not " + k);
        Random rnd = new Random(seed);
        List<ImageItem> shots = new ArrayList<>();
        List<ImageItem> val = new ArrayList<>();
        List<List<ImageItem>> groups = train.byClass();
        for (int c = 0; c < groups.size(); c++) {
            List<ImageItem> pool = new ArrayList<>(groups.get(c));
            if (pool.isEmpty()) throw new ClipException("class '" + train.classNames().get(c) + "' has no training images");
            Collections.shuffle(pool, rnd);
            if (pool.size() < k) {
                LOG.log(System.Logger.Level.WARNING, "class '" + train.classNames().get(c) + "' has " + pool.size() + " images for " + k
                        + " shots: sampling with replacement, no validation images");
                for (int i = 0; i < k; i++) shots.add(pool.get(i < pool.size() ? i : rnd.nextInt(pool.size())));
                continue;
            }
            shots.addAll(pool.subList(0, k));
            val.addAll(pool.subList(k, Math.min(pool.size(), k + valPerClass)));
        }
        return new Split(shots, val, k);
    }

    /** At most {@code perClass} items of each class, chosen by a fixed seed (the same for every run). */
    public static List<ImageItem> limitPerClass(Dataset d, int perClass, long seed) {
        if (perClass <= 0) return d.items();
        Random rnd = new Random(seed);
        List<ImageItem> out = new ArrayList<>();
        for (List<ImageItem> g : d.byClass()) {
            List<ImageItem> pool = new ArrayList<>(g);
            Collections.shuffle(pool, rnd);
            out.addAll(pool.subList(0, Math.min(perClass, pool.size())));
        }
        return out;
    }
}
