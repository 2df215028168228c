package clip4j.zeroshot;

import clip4j.ClipException;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;

import java.util.ArrayList;
import java.util.List;

/**
 * Zero-shot classification (the CLIP paper's prompt ensembling, as upstream Tip-Adapter utils.py
 * {@code clip_classifier} does it; docs/adapters.md#zero-shot-classifier): for each class, embed every template filled
 * with the
 * class name, L2-normalise each, average, normalise again → class weight w_c. logits = exp(logit_scale)·f·w_c
 * for an L2-normalised image embedding f.
 */
public final class ZeroShotClassifier {
    private final List<String> labels;
    private final float[][] weights;
    private final float scale;

    private ZeroShotClassifier(List<String> labels, float[][] weights, float scale) {
        this.labels = List.copyOf(labels);
        this.weights = weights;
        this.scale = scale;
    }

    public static ZeroShotClassifier build(ClipModel model, List<String> labels, List<String> templates) {
        return build(model::encodeTexts, model.config().embedDim(), model.logitScaleFactor(), labels, templates);
    }

    /** With another source of L2-normalised prompt embeddings (e.g. the feature store's cache). */
    public static ZeroShotClassifier build(java.util.function.Function<List<String>, float[][]> encoder, int d, float scale,
                                           List<String> labels, List<String> templates) {
        if (labels.isEmpty()) throw new ClipException("the label list is empty");
        if (templates.isEmpty()) throw new ClipException("the template list is empty");
        for (String t : templates) {
            if (!t.contains("{}")) throw new ClipException("template without {}: \"" + t + "\"");
        }
        List<String> prompts = new ArrayList<>();
        for (String label : labels) {
            if (label.isBlank()) throw new ClipException("empty label in the label list");
            for (String t : templates) prompts.add(t.replace("{}", label));
        }
        float[][] emb = encoder.apply(prompts);
        float[][] w = new float[labels.size()][];
        for (int c = 0; c < labels.size(); c++) {
            float[] mean = new float[d];
            for (int t = 0; t < templates.size(); t++) {
                float[] e = emb[c * templates.size() + t];
                for (int i = 0; i < d; i++) mean[i] += e[i];
            }
            for (int i = 0; i < d; i++) mean[i] /= templates.size();
            w[c] = Embeddings.normalize(mean);
        }
        return new ZeroShotClassifier(labels, w, scale);
    }

    public List<String> labels() {
        return labels;
    }

    public float[][] weights() {
        return weights;
    }

    /** Logits of one L2-normalised image embedding, in label order. */
    public float[] logits(float[] imageEmbedding) {
        float[] out = new float[weights.length];
        for (int c = 0; c < weights.length; c++) {
            double s = 0;
            for (int i = 0; i < imageEmbedding.length; i++) s += (double) imageEmbedding[i] * weights[c][i];
            out[c] = (float) (scale * s);
        }
        return out;
    }

    /** Softmax of logits, in double. */
    public static float[] probabilities(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += StrictMath.exp(l - max);
        float[] p = new float[logits.length];
        for (int i = 0; i < p.length; i++) p[i] = (float) (StrictMath.exp(logits[i] - max) / sum);
        return p;
    }
}
