package clip4j.cli;

import clip4j.fewshot.FewShotExperiment;
import clip4j.fewshot.Method;
import clip4j.fewshot.RunResult;
import clip4j.io.AtomicFiles;
import clip4j.util.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** --predictions (JSON lines) and --report (results.json + a self-contained report.html with inline SVG). */
final class Reports {
    private static final String[] COLORS = {"#1b6ac9", "#d1495b", "#2e933c", "#edae49", "#6b4c9a"};

    private Reports() {
    }

    static void writePredictions(Path file, FewShotExperiment.Outcome out) {
        AtomicFiles.write(file, tmp -> {
            try (var w = Files.newBufferedWriter(tmp)) {
                for (RunResult r : out.runs()) {
                    for (int i = 0; i < out.test().size(); i++) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("image", out.test().get(i).id());
                        m.put("label", out.classNames().get(out.testLabels()[i]));
                        m.put("pred", out.classNames().get(r.predictions()[i]));
                        m.put("logits", Labelled.byName(out.classNames(), r.logits()[i]));
                        m.put("method", r.method().key);
                        m.put("shots", r.shots());
                        m.put("seed", r.seed());
                        w.write(Json.write(m));
                        w.write('\n');
                    }
                }
            }
        });
    }

    /** @param randomWeights how the model's random weights were made, or null for trained weights */
    static void write(Path dir, FewShotExperiment.Outcome out, List<Method> methods, int[] shots, long[] seeds,
                      Map<String, Object> settings, String randomWeights) {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("random_weights", randomWeights != null);
        results.put("settings", settings);
        results.put("classes", out.classNames());
        results.put("test_images", out.test().size());
        List<Object> runs = new ArrayList<>();
        for (RunResult r : out.runs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method().key);
            m.put("shots", r.shots());
            m.put("seed", r.seed());
            m.put("accuracy", r.accuracy());
            m.put("chosen_on_validation", r.chosen());
            m.put("per_class_accuracy", perClass(out, r));
            runs.add(m);
        }
        results.put("runs", runs);
        Map<String, Object> summary = new LinkedHashMap<>();
        for (Method m : methods) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int k : shots) {
                double[] c = ResultsTable.cell(out.runs(), m, k);
                if (c != null) row.put(Integer.toString(k), Map.of("mean", c[0], "std", c[1]));
            }
            summary.put(m.key, row);
        }
        results.put("summary_percent", summary);
        AtomicFiles.writeString(dir.resolve("results.json"), Json.write(results));
        AtomicFiles.writeString(dir.resolve("report.html"), html(out, methods, shots, seeds, settings, randomWeights));
    }

    private static List<Double> perClass(FewShotExperiment.Outcome out, RunResult r) {
        int n = out.classNames().size();
        int[] hit = new int[n], tot = new int[n];
        for (int i = 0; i < out.testLabels().length; i++) {
            tot[out.testLabels()[i]]++;
            if (r.predictions()[i] == out.testLabels()[i]) hit[out.testLabels()[i]]++;
        }
        List<Double> a = new ArrayList<>();
        for (int c = 0; c < n; c++) a.add(tot[c] == 0 ? Double.NaN : (double) hit[c] / tot[c]);
        return a;
    }

    private static String esc(Object o) {
        return String.valueOf(o).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String shots(int k) {
        return k == 1 ? "1 shot" : k + " shots";
    }

    private static String html(FewShotExperiment.Outcome out, List<Method> methods, int[] shots, long[] seeds,
                               Map<String, Object> settings, String randomWeights) {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>clip4j few-shot report</title><style>")
                .append("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}td.l{text-align:left}")
                .append(".random{background:#fff3cd;border:2px solid #d39e00;padding:.6em 1em;font-weight:bold}")
                .append("</style></head><body><h1>clip4j few-shot report</h1>");
        if (randomWeights != null) {
            h.append("<p class=random>This model has RANDOM weights (").append(esc(randomWeights))
                    .append("), not trained CLIP weights: the numbers show what the methods do, not what CLIP can do.</p>");
        }
        h.append("<h2>Test accuracy vs shots</h2>").append(chart(out.runs(), methods, shots));
        h.append("<table><tr><th>method</th>");
        for (int k : shots) h.append("<th>").append(shots(k)).append("</th>");
        h.append("</tr>");
        for (Method m : methods) {
            h.append("<tr><td class=l>").append(m.key).append("</td>");
            for (int k : shots) {
                double[] c = ResultsTable.cell(out.runs(), m, k);
                h.append("<td>").append(c == null ? "-" : String.format(Locale.ROOT, "%.2f ± %.2f", c[0], c[1])).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table><p>Mean ± standard deviation over seeds ").append(esc(java.util.Arrays.toString(seeds)))
                .append("; every choice (α, β, epochs) made on validation data only; test evaluated once per run.</p>");
        int kMax = shots[shots.length - 1];
        h.append("<h2>Per-class accuracy at ").append(shots(kMax)).append(" (mean over seeds, %)</h2><table><tr><th>class</th>");
        for (Method m : methods) h.append("<th>").append(m.key).append("</th>");
        h.append("</tr>");
        Map<RunResult, List<Double>> perClass = new java.util.IdentityHashMap<>();
        for (RunResult r : out.runs()) if (r.shots() == kMax) perClass.put(r, perClass(out, r));
        for (int c = 0; c < out.classNames().size(); c++) {
            h.append("<tr><td class=l>").append(esc(out.classNames().get(c))).append("</td>");
            for (Method m : methods) {
                double s = 0;
                int n = 0;
                for (RunResult r : out.runs()) {
                    if (r.method() != m || r.shots() != kMax) continue;
                    double v = perClass.get(r).get(c);
                    if (!Double.isNaN(v)) {
                        s += v;
                        n++;
                    }
                }
                h.append("<td>").append(n == 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100 * s / n)).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table>");
        for (Method m : methods) {
            RunResult r = out.runs().stream().filter(x -> x.method() == m && x.shots() == kMax).findFirst().orElse(null);
            if (r == null) continue;
            h.append("<h2>Confusion matrix: ").append(m.key).append(", ").append(shots(kMax)).append(", seed ").append(r.seed())
                    .append("</h2>").append(confusion(out, r));
        }
        h.append("<h2>Settings</h2><table>");
        settings.forEach((k, v) -> h.append("<tr><td class=l>").append(esc(k)).append("</td><td class=l>").append(esc(v)).append("</td></tr>"));
        h.append("</table></body></html>\n");
        return h.toString();
    }

    private static String confusion(FewShotExperiment.Outcome out, RunResult r) {
        int n = out.classNames().size();
        int[][] cm = new int[n][n];
        int max = 1;
        for (int i = 0; i < out.testLabels().length; i++) max = Math.max(max, ++cm[out.testLabels()[i]][r.predictions()[i]]);
        StringBuilder h = new StringBuilder("<table><tr><th>true \\ predicted</th>");
        for (String c : out.classNames()) h.append("<th>").append(esc(c)).append("</th>");
        h.append("</tr>");
        for (int a = 0; a < n; a++) {
            h.append("<tr><th>").append(esc(out.classNames().get(a))).append("</th>");
            for (int b = 0; b < n; b++) {
                int shade = 255 - (int) (200.0 * cm[a][b] / max);
                h.append(String.format(Locale.ROOT, "<td style=\"background:rgb(%d,%d,255)\">%d</td>", shade, shade, cm[a][b]));
            }
            h.append("</tr>");
        }
        return h.append("</table>").toString();
    }

    private static String chart(List<RunResult> runs, List<Method> methods, int[] shots) {
        int w = 640, hgt = 360, left = 60, right = 150, top = 20, bottom = 50;
        double lo = 100, hi = 0;
        for (RunResult r : runs) {
            lo = Math.min(lo, 100 * r.accuracy());
            hi = Math.max(hi, 100 * r.accuracy());
        }
        lo = Math.max(0, Math.floor(lo / 10) * 10);
        hi = Math.min(100, Math.ceil(hi / 10) * 10 + (hi % 10 == 0 ? 10 : 0));
        if (hi <= lo) hi = lo + 10;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"12\">", w, hgt));
        int pw = w - left - right, ph = hgt - top - bottom;
        final double fl = lo, fh = hi;
        java.util.function.DoubleUnaryOperator y = v -> top + ph * (1 - (v - fl) / (fh - fl));
        java.util.function.IntToDoubleFunction x = i -> left + (shots.length == 1 ? pw / 2.0 : pw * i / (double) (shots.length - 1));
        for (int g = 0; g <= 5; g++) {
            double v = lo + (hi - lo) * g / 5;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
                    left, left + pw, y.applyAsDouble(v), y.applyAsDouble(v), left - 6, y.applyAsDouble(v) + 4, v));
        }
        for (int i = 0; i < shots.length; i++) {
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", x.applyAsDouble(i), top + ph + 18, shots[i]));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">shots per class</text>", left + pw / 2, hgt - 8));
        s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">test accuracy (%%)</text>", top + ph / 2, top + ph / 2));
        for (int mi = 0; mi < methods.size(); mi++) {
            String col = COLORS[mi % COLORS.length];
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < shots.length; i++) {
                double[] c = ResultsTable.cell(runs, methods.get(mi), shots[i]);
                if (c == null) continue;
                double px = x.applyAsDouble(i), py = y.applyAsDouble(c[0]);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
                        px, px, y.applyAsDouble(c[0] - c[1]), y.applyAsDouble(c[0] + c[1]), col, px, py, col));
            }
            s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>", col, pts.toString().trim()));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>",
                    left + pw + 15, top + 10 + 20 * mi, col, left + pw + 32, top + 21 + 20 * mi, methods.get(mi).key));
        }
        return s.append("</svg>").toString();
    }
}
