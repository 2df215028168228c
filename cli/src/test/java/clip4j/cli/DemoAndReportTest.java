package clip4j.cli;

import clip4j.data.SyntheticShapes;
import clip4j.testing.TestData;
import clip4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo offline with nothing beside the repository, and the fewshot outputs a program reads. */
class DemoAndReportTest {
    @Test
    @SuppressWarnings("unchecked")
    void demoRunsOfflineThenReusesThenCleans(@TempDir Path tmp) throws IOException {
        Path work = tmp.resolve("demo");
        String[] args = {"demo", "--arch", "test-tiny-quickgelu", "--shots", "1,2", "--seeds", "1,2", "--test-per-class", "3",
                "--dir", work.toString()};
        Cli.Result first = Cli.run(tmp, args);
        assertEquals(0, first.code(), first.toString());
        assertTrue(first.out().contains("RANDOM-weight"), first.out());
        assertTrue(first.out().contains("clip4j's own"), "the vocabulary is named: " + first.out());
        assertTrue(first.out().contains("method") && first.out().contains("1-shot") && first.out().contains("2-shot"), first.out());
        assertTrue(first.err().contains("images to encode"), "an estimate up front: " + first.err());
        assertFalse(first.err().contains("Exception"), first.err());
        String html = Files.readString(work.resolve("report/report.html"));
        int banner = html.indexOf("RANDOM weights");
        assertTrue(banner >= 0 && banner < html.indexOf("<h2>"), "random weights said at the top");
        Map<String, Object> results = Json.parseObject(Files.readString(work.resolve("report/results.json")));
        assertEquals(true, results.get("random_weights"));
        try (var files = Files.list(work)) {
            assertEquals(List.of("features", "report", "test-tiny-quickgelu-random-seed0-clip4j-vocab.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no Hugging Face directory left behind");
        }

        Cli.Result again = Cli.run(tmp, args);
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.err().contains("0 images to encode (all in the feature store already)"), again.err());
        assertFalse(again.err().contains("making a seeded random"), "the model is reused");

        Path mine = Files.writeString(work.resolve("my notes.txt"), "the user's own file");
        try (var panels = Files.list(tmp.resolve("panels"))) {
            assertEquals(1, panels.count(), "the demo model's packed weights are in the user cache");
        }
        Cli.Result clean = Cli.run(tmp, "demo", "--clean", "--dir", work.toString());
        assertEquals(0, clean.code(), clean.toString());
        try (var files = Files.list(work)) {
            assertEquals(List.of(mine), files.toList(), "only what the demo made is removed");
        }
        try (var panels = Files.list(tmp.resolve("panels"))) {
            assertEquals(0, panels.count(), "and the packed weights of its model go with it: " + clean);
        }
        Files.delete(mine);
        assertEquals(0, Cli.run(tmp, "demo", "--clean", "--dir", work.toString()).code());
        assertFalse(Files.exists(work), "an emptied folder goes too");
    }

    @Test
    @SuppressWarnings("unchecked")
    void fewshotLabelsItsOutputs(@TempDir Path tmp) throws IOException {
        Path model = TestData.seededModelWithText("test-tiny-quickgelu", 3);
        Path preds = tmp.resolve("preds.jsonl"), report = tmp.resolve("report");
        Cli.Result r = Cli.run(tmp, "fewshot", "--model", model.toString(), "--train", "shapes", "--test", "shapes", "--method",
                "zero-shot,tip", "--shots", "1", "--seeds", "1", "--augment-epochs", "0", "--test-per-class", "2",
                "--cache", tmp.resolve("features").toString(), "--predictions", preds.toString(), "--report", report.toString());
        assertEquals(0, r.code(), r.toString());
        List<String> out = r.outLines();
        assertTrue(out.getFirst().startsWith("# model with RANDOM weights"), r.out());
        assertTrue(out.get(1).startsWith("# test accuracy (%), mean±std over 1 seed"), r.out());
        assertEquals(List.of("method", "1-shot"), List.of(out.get(2).trim().split("\\s+")));
        assertEquals(2, out.get(3).trim().split("\\s+").length, "cells hold no spaces: " + out.get(3));

        List<String> lines = Files.readAllLines(preds);
        assertEquals(2 * SyntheticShapes.CLASSES.size() * 2, lines.size(), "per method and test image");
        Map<String, Object> p = Json.parseObject(lines.getFirst());
        assertEquals(SyntheticShapes.CLASSES, List.copyOf(((Map<String, Object>) p.get("logits")).keySet()));
        assertTrue(SyntheticShapes.CLASSES.contains((String) p.get("pred")));

        Map<String, Object> settings = (Map<String, Object>) Json.parseObject(Files.readString(report.resolve("results.json"))).get("settings");
        assertTrue(settings.containsKey("alpha_beta"));
        assertFalse(settings.containsKey("tip_f_epochs") || settings.containsKey("clip_adapter") || settings.containsKey("meta"),
                "only settings of the methods that ran: " + settings.keySet());
        String html = Files.readString(report.resolve("report.html"));
        assertTrue(html.contains("1 shot<") && !html.contains("1 shots"), "singular shot");
    }
}
