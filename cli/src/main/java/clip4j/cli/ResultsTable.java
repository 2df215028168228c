package clip4j.cli;

import clip4j.fewshot.Method;
import clip4j.fewshot.Methods;
import clip4j.fewshot.RunResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fewshot table: one row per method, one column per shot count, test accuracy mean±std over seeds (%). Columns are
 * separated by spaces and no cell contains one, so {@code awk} or a whitespace split reads it; the first line, a
 * comment starting with #, says what the numbers are.
 */
final class ResultsTable {
    private ResultsTable() {
    }

    static double[] cell(List<RunResult> runs, Method m, int shots) {
        List<Double> acc = new ArrayList<>();
        for (RunResult r : runs) if (r.method() == m && r.shots() == shots) acc.add(100 * r.accuracy());
        return acc.isEmpty() ? null : Methods.meanStd(acc);
    }

    static String render(List<RunResult> runs, List<Method> methods, int[] shots, int seeds) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "# test accuracy (%%), mean±std over %d seed%s\n", seeds, seeds == 1 ? "" : "s"));
        b.append(String.format(Locale.ROOT, "%-14s", "method"));
        for (int k : shots) b.append(String.format(Locale.ROOT, " %13s", k + "-shot"));
        b.append('\n');
        for (Method m : methods) {
            b.append(String.format(Locale.ROOT, "%-14s", m.key));
            for (int k : shots) {
                double[] c = cell(runs, m, k);
                b.append(String.format(Locale.ROOT, " %13s", c == null ? "-" : String.format(Locale.ROOT, "%.2f±%.2f", c[0], c[1])));
            }
            b.append('\n');
        }
        return b.toString().stripTrailing();
    }
}
