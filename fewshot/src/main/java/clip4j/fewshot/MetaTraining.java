package clip4j.fewshot;

import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Meta-Adapter training (upstream Meta-Adapter main.py {@code run_meta_adapter}; docs/adapters.md#meta-adapter-training):
 * cross-entropy of 100·f·Ŵᵀ over all classes for query features of the training classes, with Ŵ refined from the
 * support cache; AdamW (lr 1e-4, eps 1e-4, wd 0.01), per-iteration cosine, batch 64; the epoch chosen on validation
 * (not on test, as upstream does). The official FIFO update of the support keys is not replicated: the
 * support set stays what was sampled, so evaluation never sees training queries as keys.
 */
public final class MetaTraining {
    private MetaTraining() {
    }

    /** The cache keys grouped by class ([class][shot][D]); keys are class-contiguous with the same count per class. */
    public static float[][][] supports(float[][] keys, int[] keyLabels, int classes) {
        int[] count = new int[classes];
        for (int l : keyLabels) count[l]++;
        float[][][] s = new float[classes][][];
        for (int c = 0; c < classes; c++) s[c] = new float[count[c]][];
        int[] fill = new int[classes];
        for (int i = 0; i < keys.length; i++) s[keyLabels[i]][fill[keyLabels[i]]++] = keys[i];
        return s;
    }

    /**
     * @param queries query features per epoch (normalised); epoch e uses queries.get(e % size)
     * @param queryLabels labels of the queries (class indices into the class weights)
     */
    public static MetaAdapter train(FewShotData d, List<float[][]> queries, int[] queryLabels, float[][] val, int[] valLabels,
                                    int epochs, long seed, Map<String, Object> chosen) {
        int dim = d.classWeights()[0].length, n = queryLabels.length, batch = 64, iters = MiniBatches.iterations(n, batch);
        MetaAdapter m = new MetaAdapter(dim, seed);
        float[][][] sup = supports(d.keys(), d.keyLabels(), d.classWeights().length);
        float[][] params = m.parameters();
        AdamW opt = new AdamW(params, 1e-4, 1e-4, 0.01, (long) iters * epochs);
        Random rnd = new Random(seed);
        int[] order = MiniBatches.identity(n);
        double best = -1;
        float[][] bestParams = FMath.copy(params);
        int bestEpoch = 0;
        for (int ep = 1; ep <= epochs; ep++) {
            MiniBatches.epoch(queries.get((ep - 1) % queries.size()), queryLabels, order, batch, rnd, (fb, yb) -> {
                double[][] g = new double[params.length][];
                for (int p = 0; p < params.length; p++) g[p] = new double[params[p].length];
                m.lossAndGrad(d.classWeights(), sup, fb, yb, g);
                opt.step(g);
            });
            float[][] refined = m.refine(d.classWeights(), sup);
            TipAdapter zs = new TipAdapter(refined, new float[0][], new int[0]);
            double acc = Methods.accuracy(val, valLabels, zs::zeroShotLogits);
            if (acc > best) {
                best = acc;
                bestParams = FMath.copy(params);
                bestEpoch = ep;
            }
        }
        for (int p = 0; p < params.length; p++) System.arraycopy(bestParams[p], 0, params[p], 0, params[p].length);
        if (chosen != null) chosen.put("best_epoch", bestEpoch);
        return m;
    }
}
