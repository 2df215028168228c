package clip4j.fewshot;

import clip4j.ClipException;
import clip4j.backend.Backend;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Runs one method on one run's features and evaluates the test set once (choices on validation: docs/adapters.md#protocol). */
public final class Methods {
    /** Knobs of the fewshot command. */
    public record Options(Double alpha, Double beta, TipSearch.Grid grid, int tipFEpochs,
                          int clipAdapterEpochs, double clipAdapterRatio, int metaEpochs, MetaAdapter metaCheckpoint) {
        public static Options defaults() {
            return new Options(null, null, TipSearch.Grid.of(12, 10, 200, 20), 20, 200, 0.2, 5, null);
        }
    }

    private Methods() {
    }

    /** A method fitted on one run's shots (every choice made on validation) and evaluated once on its test features. */
    public static RunResult run(Backend be, Method m, FewShotData d, Options o, int shots, long seed) {
        Map<String, Object> chosen = new LinkedHashMap<>();
        float[][] logits = fit(be, m, d, o, seed, chosen).logits(be, d.test());
        int[] pred = new int[logits.length];
        int hit = 0;
        for (int i = 0; i < logits.length; i++) {
            pred[i] = FMath.argmax(logits[i]);
            if (pred[i] == d.testLabels()[i]) hit++;
        }
        return new RunResult(m, shots, seed, logits.length == 0 ? 0 : (double) hit / logits.length, chosen, pred, logits);
    }

    /** The classifier a method makes of one run's shots and validation set (d's test features are not looked at). */
    public static Classifier fit(Backend be, Method m, FewShotData d, Options o, long seed, Map<String, Object> chosen) {
        return switch (m) {
            case ZERO_SHOT -> new Classifier.ZeroShot(d.classWeights());
            case TIP -> {
                TipAdapter tip = new TipAdapter(d.classWeights(), d.keys(), d.keyLabels());
                double[] ab = alphaBeta(be, tip, d, o, chosen);
                yield new Classifier.Tip(d.classWeights(), d.keys(), d.keyLabels(), ab[0], ab[1]);
            }
            case TIP_F -> {
                TipAdapter tip = new TipAdapter(d.classWeights(), d.keys(), d.keyLabels());
                TipAdapterF.Settings s = new TipAdapterF.Settings(1.0, 1.0, 1e-3, 1e-4, 0.01, 256, o.tipFEpochs(), seed);
                TipAdapterF.Trained t = TipAdapterF.train(be, tip, d.views(), d.keyLabels(), d.val(), d.valLabels(), s);
                chosen.put("best_epoch", t.bestEpoch());
                TipAdapter tuned = new TipAdapter(d.classWeights(), t.keys(), d.keyLabels());
                double[] ab = alphaBeta(be, tuned, d, o, chosen);
                yield new Classifier.Tip(d.classWeights(), t.keys(), d.keyLabels(), ab[0], ab[1]);
            }
            case CLIP_ADAPTER -> new Classifier.Adapter(d.classWeights(), trainClipAdapter(d, o, seed, chosen));
            case META -> {
                MetaAdapter meta = o.metaCheckpoint() != null ? o.metaCheckpoint() : MetaTraining.train(d, d.views(), d.keyLabels(),
                        d.val(), d.valLabels(), o.metaEpochs(), seed, chosen);
                if (meta.dim() != d.classWeights()[0].length) {
                    throw new ClipException("Meta-Adapter checkpoint has dimension " + meta.dim() + ", the model " + d.classWeights()[0].length);
                }
                yield new Classifier.ZeroShot(meta.refine(be, d.classWeights(), MetaTraining.supports(d.keys(), d.keyLabels(), d.classWeights().length)));
            }
        };
    }

    static float[] floats(double[] z) {
        float[] o = new float[z.length];
        for (int c = 0; c < z.length; c++) o[c] = (float) z[c];
        return o;
    }

    /** Given α/β, or the grid search on validation (α = β = 1 when there is no validation set). */
    private static double[] alphaBeta(Backend be, TipAdapter tip, FewShotData d, Options o, Map<String, Object> chosen) {
        double alpha = 1, beta = 1;
        if (o.alpha() != null) {
            alpha = o.alpha();
            beta = o.beta();
        } else if (d.val().length > 0) {
            TipSearch.Result r = TipSearch.search(be, tip, d.val(), d.valLabels(), o.grid());
            alpha = r.alpha();
            beta = r.beta();
            chosen.put("val_accuracy", r.accuracy());
        }
        chosen.put("alpha", alpha);
        chosen.put("beta", beta);
        return new double[]{alpha, beta};
    }

    /** CLIP-Adapter: AdamW (lr 1e-3, eps 1e-8, wd 0.01), cosine, batch 32, on the augmented raw shot features; epoch on val. */
    static ClipAdapter trainClipAdapter(FewShotData d, Options o, long seed, Map<String, Object> chosen) {
        int dim = d.classWeights()[0].length;
        ClipAdapter a = new ClipAdapter(dim, o.clipAdapterRatio(), seed);
        int n = d.keyLabels().length, batch = 32, iters = MiniBatches.iterations(n, batch);
        float[][] params = a.parameters();
        AdamW opt = new AdamW(params, 1e-3, 1e-8, 0.01, (long) iters * o.clipAdapterEpochs());
        Random rnd = new Random(seed);
        int[] order = MiniBatches.identity(n);
        double best = -1;
        float[][] bestParams = null;
        int bestEpoch = 0;
        for (int ep = 1; ep <= o.clipAdapterEpochs(); ep++) {
            MiniBatches.epoch(d.rawViews().get((ep - 1) % d.rawViews().size()), d.keyLabels(), order, batch, rnd, (fb, yb) -> {
                double[][] g = {new double[params[0].length], new double[params[1].length]};
                a.lossAndGrad(fb, yb, d.classWeights(), g);
                opt.step(g);
            });
            double acc = accuracy(a.logits(d.val(), d.classWeights()), d.valLabels());
            if (acc > best) {
                best = acc;
                bestParams = FMath.copy(params);
                bestEpoch = ep;
            }
        }
        for (int p = 0; p < params.length; p++) System.arraycopy(bestParams[p], 0, params[p], 0, params[p].length);
        chosen.put("best_epoch", bestEpoch);
        chosen.put("ratio", o.clipAdapterRatio());
        return a;
    }

    static double accuracy(double[][] logits, int[] y) {
        if (logits.length == 0) return 0;
        int hit = 0;
        for (int i = 0; i < logits.length; i++) if (FMath.argmax(logits[i]) == y[i]) hit++;
        return (double) hit / logits.length;
    }

    static double accuracy(float[][] x, int[] y, java.util.function.Function<float[], double[]> logits) {
        if (x.length == 0) return 0;
        int hit = 0;
        for (int i = 0; i < x.length; i++) if (FMath.argmax(logits.apply(x[i])) == y[i]) hit++;
        return (double) hit / x.length;
    }

    /** Mean and sample standard deviation. */
    public static double[] meanStd(List<Double> v) {
        double m = 0;
        for (double x : v) m += x;
        m /= v.size();
        double s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return new double[]{m, v.size() > 1 ? Math.sqrt(s / (v.size() - 1)) : 0};
    }
}
