package clip4j.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shape of the code, checked on what was compiled: no package cycles anywhere (jdeps over every module's classes),
 * no engine package uses a package of another module, and the library modules read no system property or environment
 * variable and print nothing (configuration and output belong to the edge: the CLI and the benchmarks).
 */
class StructureTest {
    private static final Path ROOT = Path.of(System.getProperty("clip4j.root", ".."));
    private static final List<String> LIBRARIES = List.of("engine", "fewshot", "collection", "serve", "weights-converter", "kernels");

    /** package → the clip4j packages it uses, over the main classes of every module on this test's class path. */
    private static Map<String, Set<String>> packageGraph() {
        List<String> options = List.of("-verbose:package", "-e", "clip4j(\\..*)?");
        List<String> args = new ArrayList<>(options);
        // the modules as this test runs them: target/classes in a reactor build, the installed jars otherwise
        Pattern ours = Pattern.compile(".*[/\\\\](engine|fewshot|collection|serve|weights-converter|kernels|cli)[/\\\\]target[/\\\\]classes"
                + "|.*clip4j-(engine|fewshot|collection|serve|weights-converter|kernels)-[^/\\\\]*(?<!-tests)\\.jar");
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (ours.matcher(e).matches()) args.add(e);
        }
        assertEquals(7, args.size() - options.size(), "expected the seven modules on the class path: " + args);
        StringWriter out = new StringWriter();
        int rc = ToolProvider.findFirst("jdeps").orElseThrow().run(new PrintWriter(out), new PrintWriter(out), args.toArray(String[]::new));
        assertEquals(0, rc, out.toString());
        Map<String, Set<String>> g = new TreeMap<>();
        Matcher m = Pattern.compile("^\\s+(clip4j[\\w.]*)\\s+->\\s+(clip4j[\\w.]*)\\s", Pattern.MULTILINE).matcher(out.toString());
        while (m.find()) {
            g.computeIfAbsent(m.group(1), k -> new TreeSet<>());
            if (!m.group(1).equals(m.group(2))) g.get(m.group(1)).add(m.group(2));
        }
        assertTrue(g.size() > 10, "jdeps found too few packages:\n" + out);
        return g;
    }

    @Test
    void noPackageCycles() {
        Map<String, Set<String>> g = packageGraph();
        Map<String, Integer> state = new TreeMap<>();
        List<String> cycles = new ArrayList<>();
        for (String p : g.keySet()) visit(p, g, state, new ArrayList<>(), cycles);
        assertTrue(cycles.isEmpty(), "package cycles: " + cycles);
    }

    /** Depth-first search; state 1 = on the current path, 2 = done. A path back to a package on it is a cycle. */
    private static void visit(String p, Map<String, Set<String>> g, Map<String, Integer> state, List<String> path, List<String> cycles) {
        Integer s = state.get(p);
        if (s != null) {
            if (s == 1) cycles.add(String.join(" -> ", path.subList(path.indexOf(p), path.size())) + " -> " + p);
            return;
        }
        state.put(p, 1);
        path.add(p);
        for (String q : g.getOrDefault(p, Set.of())) visit(q, g, state, path, cycles);
        path.removeLast();
        state.put(p, 2);
    }

    @Test
    void theEngineUsesNoOtherModule() throws IOException {
        Set<String> engine = new TreeSet<>();
        try (Stream<Path> s = Files.walk(ROOT.resolve("engine/src/main/java"))) {
            s.filter(f -> f.toString().endsWith(".java"))
                    .forEach(f -> engine.add(ROOT.resolve("engine/src/main/java").relativize(f.getParent()).toString().replace('/', '.')));
        }
        Map<String, Set<String>> g = packageGraph();
        for (String p : engine) {
            for (String q : g.getOrDefault(p, Set.of())) assertTrue(engine.contains(q), "engine package " + p + " uses " + q);
        }
    }

    @Test
    void librariesReadNoSettingsAndPrintNothing() throws IOException {
        Pattern banned = Pattern.compile("System\\.(getProperty|getProperties|getenv|out|err)\\b|(Integer|Long|Boolean)\\.get(Integer|Long|Boolean)\\("
                + "|printStackTrace\\(|import static java\\.lang\\.System\\.");
        List<String> found = new ArrayList<>();
        for (String m : LIBRARIES) {
            try (Stream<Path> s = Files.walk(ROOT.resolve(m).resolve("src/main/java"))) {
                for (Path f : s.filter(x -> x.toString().endsWith(".java")).toList()) {
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        if (banned.matcher(lines.get(i)).find()) found.add(ROOT.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(found.isEmpty(), "library code reading settings or printing:\n" + String.join("\n", found));
    }
}
