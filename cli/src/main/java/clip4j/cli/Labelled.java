package clip4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scores keyed by class name, in class order, so a JSON reader never has to guess which number is which class. */
final class Labelled {
    private Labelled() {
    }

    static Map<String, Object> byName(List<String> names, float[] values) {
        if (names.size() != values.length) throw new IllegalArgumentException(names.size() + " names for " + values.length + " values");
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) m.put(names.get(i), values[i]);
        return m;
    }
}
