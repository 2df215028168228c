package clip4j.cli;

import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GEMM tuner from the command line: 'clip4j tune' times the plans and keeps its pick in the user cache; the first
 * computing command on a machine tunes by itself, later ones use the kept plan, --retune tunes again, and a damaged
 * plans file is tuned over, not an error.
 */
class TuneCliTest {
    /** Without the fixed plan the other CLI tests use. */
    private static final Map<String, String> TUNED = Map.of("CLIP4J_GEMM_PLAN", "");

    private static String model() {
        return TestData.seededModelWithText("test-tiny-quickgelu", 8).toString();
    }

    private static boolean tuned(Cli.Result r) {
        return r.err().contains("clip4j: tuned the matrix products for this CPU (");
    }

    @Test
    void tuneKeepsItsPickForTheMachine(@TempDir Path cache) throws Exception {
        Cli.Result r = Cli.run(cache, TUNED, null, "tune", "--threads", "1");
        assertEquals(0, r.code(), r.toString());
        List<String> out = r.outLines();
        String plan = out.getLast();
        assertTrue(plan.matches("plan \\d+x\\d kc\\d+ mc\\d+ nc\\d+( mt\\d+)?"), r.toString());
        assertTrue(out.getFirst().startsWith("plan "), "a header, then one line per trial: " + r);
        assertTrue(out.size() >= 5, "several trials: " + r);
        java.util.Properties kept = new java.util.Properties();
        try (var in = Files.newBufferedReader(cache.resolve("gemm-plans.properties"))) {
            kept.load(in);
        }
        // one plan per width timed (256 and 512 bits with AVX-512, each in a JVM of its own), and the faster width
        List<Integer> widths = clip4j.backend.TunedPlans.widths();
        List<String> planKeys = kept.stringPropertyNames().stream().filter(k -> k.endsWith("-bit; 1 threads")).sorted().toList();
        assertEquals(widths.size(), planKeys.size(), kept.toString());
        for (String key : planKeys) assertTrue(key.contains(" cores; JDK "), key);
        int width = widths.getLast();
        if (widths.size() > 1) {
            assertEquals(widths.size() + 1, kept.size(), kept.toString());
            String w = kept.getProperty(planKeys.getFirst().replaceFirst("\\d+-bit; 1 threads$", "1 threads; vector width"));
            assertTrue(widths.contains(Integer.parseInt(w)), kept.toString());
            width = Integer.parseInt(w);
            assertTrue(out.contains("vector width " + w + " (kept in " + cache.resolve("gemm-plans.properties") + ")"), r.toString());
            for (int b : widths) assertTrue(out.stream().anyMatch(l -> l.startsWith(b + "-bit: ")), r.toString());
        }
        String widthKey = "; " + width + "-bit; 1 threads";
        assertEquals(plan.substring("plan ".length()), kept.getProperty(planKeys.stream().filter(k -> k.endsWith(widthKey)).findFirst().orElseThrow()));

        // the kept plan serves later commands of the same setting; --retune times again
        Cli.Result later = Cli.run(cache, TUNED, null, "embed-text", "--model", model(), "--threads", "1", "a cat");
        assertEquals(0, later.code(), later.toString());
        assertFalse(tuned(later), later.toString());
        Cli.Result again = Cli.run(cache, TUNED, null, "embed-text", "--model", model(), "--threads", "1", "--retune", "a cat");
        assertEquals(0, again.code(), again.toString());
        assertTrue(tuned(again), again.toString());
        // plans differ in bits only where K blocks meet; this tiny model's K fits one block of every plan
        assertEquals(later.out(), again.out(), "a re-tuned plan gives the same embedding");
        assertTrue(again.err().contains("(" + width + "-bit, 1 threads)"), "the kept width serves: " + again);

        if (widths.size() > 1) {
            // the other width kept as the faster one, without a plan: the next command tunes at that width
            int other = widths.get(widths.indexOf(width) ^ 1);
            String otherKey = planKeys.stream().filter(k -> k.endsWith("; " + other + "-bit; 1 threads")).findFirst().orElseThrow();
            kept.remove(otherKey);
            kept.setProperty(otherKey.replaceFirst("\\d+-bit; 1 threads$", "1 threads; vector width"), Integer.toString(other));
            try (var o = Files.newBufferedWriter(cache.resolve("gemm-plans.properties"))) {
                kept.store(o, null);
            }
            Cli.Result switched = Cli.run(cache, TUNED, null, "embed-text", "--model", model(), "--threads", "1", "a cat");
            assertEquals(0, switched.code(), switched.toString());
            assertTrue(switched.err().contains("(" + other + "-bit, 1 threads)"), switched.toString());
        }
    }

    @Test
    void firstUseTunesAndADamagedPlansFileIsTunedOver(@TempDir Path cache) throws Exception {
        Cli.Result first = Cli.run(cache, TUNED, null, "embed-text", "--model", model(), "--threads", "2", "a dog");
        assertEquals(0, first.code(), first.toString());
        assertTrue(tuned(first), first.toString());
        Files.writeString(cache.resolve("gemm-plans.properties"), "\\u12");
        Cli.Result damaged = Cli.run(cache, TUNED, null, "embed-text", "--model", model(), "--threads", "2", "a dog");
        assertEquals(0, damaged.code(), damaged.toString());
        assertTrue(tuned(damaged), damaged.toString());
    }

    /**
     * With -XX:UseAVX=2 (C2 emits AVX2 only, 16 vector registers: the nearest thing on an AVX-512 machine to an
     * AVX2-only CPU) the JVM prefers 256 bits, the plan is tuned and kept for that width, and its tile fits 16 registers.
     */
    @Test
    void avx2TunesForSixteenRegisters(@TempDir Path cache) throws Exception {
        Cli.Result r = Cli.run(cache, List.of("-XX:UseAVX=2"), TUNED, null, "tune", "--threads", "2");
        assertEquals(0, r.code(), r.toString());
        clip4j.backend.GemmPlan plan = clip4j.backend.GemmPlan.parse(r.outLines().getLast().substring("plan ".length()));
        assertTrue(plan.registers() <= 16, plan + " needs " + plan.registers() + " registers: " + r);
        assertTrue(r.out().contains("256-bit; 2 threads"), r.toString());
        Cli.Result embed = Cli.run(cache, List.of("-XX:UseAVX=2"), TUNED, null, "embed-text", "--model", model(), "a cat");
        assertEquals(0, embed.code(), embed.toString());
        assertFalse(tuned(embed), "the kept 256-bit plan serves: " + embed);
    }

    /** A cache that cannot be written costs the kept plan and panel file, not the run. */
    @Test
    void anUnwritableCacheStillTunesAndRuns(@TempDir Path dir) throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("cache"), "a file where the cache would be");
        Cli.Result r = Cli.run(notADirectory, TUNED, null, "embed-text", "--model", model(), "--threads", "1", "a cat");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("(not kept: "), r.toString());
        assertTrue(r.out().startsWith("{\"text\""), r.toString());
    }

    @Test
    void aBadPlanIsBadUsage(@TempDir Path cache) {
        Cli.Result r = Cli.run(cache, Map.of("CLIP4J_GEMM_PLAN", "9x9"), null, "embed-text", "--model", model(), "a cat");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("CLIP4J_GEMM_PLAN: not a GEMM plan"), r.toString());
        Cli.Result tune = Cli.run(cache, Map.of(), null, "tune", "--device", "cpu-reference");
        assertEquals(1, tune.code(), tune.toString());
        assertTrue(tune.err().contains("tune is for the cpu backend"), tune.toString());
    }
}
