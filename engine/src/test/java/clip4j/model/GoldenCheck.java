package clip4j.model;

import clip4j.testing.TestData;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model against a golden file of scripts/make_goldens.py or make_resnet_goldens.py: normalised image and text
 * embeddings within 2e-5 max abs, a prompt's features independent of its batch, logits within 1e-3 relative.
 */
final class GoldenCheck {
    private GoldenCheck() {
    }

    @SuppressWarnings("unchecked")
    static void check(ClipModel model, Map<String, Object> g, String label) {
        List<Map<String, Object>> images = (List<Map<String, Object>>) g.get("images");
        List<Map<String, Object>> texts = (List<Map<String, Object>>) g.get("texts");
        List<Path> paths = new ArrayList<>();
        for (Map<String, Object> im : images) paths.add(TestData.resource("/golden/" + im.get("file")));
        float[][] ie = model.encodeImages(paths);
        double worstImage = 0, worstText = 0;
        for (int i = 0; i < ie.length; i++) {
            double d = TestData.maxAbsDiff(TestData.floats(images.get(i).get("embedding")), ie[i]);
            assertTrue(d <= 2e-5, "image " + i + " max abs diff " + d);
            worstImage = Math.max(worstImage, d);
        }
        int[][] ids = new int[texts.size()][];
        for (int t = 0; t < ids.length; t++) ids[t] = TestData.ints(texts.get(t).get("ids"));
        float[][] batched = model.textFeatures(ids);
        for (int t = 0; t < ids.length; t++) {
            // encodeTexts regroups prompts by length: a prompt's features must not depend on its batch. Same
            // operations in the same order, so equal up to JIT-dependent rounding (C2 and the interpreter sum
            // reduceLanes and evaluate EXP differently; seen: 9e-7 when C2 compiled between the two calls)
            double d = TestData.maxAbsDiff(model.textFeatures(new int[][]{ids[t]})[0], batched[t]);
            assertTrue(d <= 1e-5, "prompt " + t + " depends on its batch: max abs diff " + d);
        }
        float[][] te = Embeddings.normalizeRows(batched);
        for (int t = 0; t < te.length; t++) {
            double d = TestData.maxAbsDiff(TestData.floats(texts.get(t).get("embedding")), te[t]);
            assertTrue(d <= 2e-5, "text " + t + " max abs diff " + d);
            worstText = Math.max(worstText, d);
        }
        System.out.printf("fidelity %s on %s: image max abs %.2e, text max abs %.2e%n", label, model.backend().name(), worstImage, worstText);
        List<Object> logits = (List<Object>) g.get("logits");
        for (int i = 0; i < ie.length; i++) {
            float[] want = TestData.floats(logits.get(i));
            for (int t = 0; t < te.length; t++) {
                double dot = 0;
                for (int k = 0; k < te[t].length; k++) dot += (double) ie[i][k] * te[t][k];
                double got = model.logitScaleFactor() * dot;
                assertTrue(Math.abs(got - want[t]) <= 1e-3 * Math.max(1.0, Math.abs(want[t])),
                    "logit " + i + "," + t + ": " + got + " vs " + want[t]);
            }
        }
    }
}
