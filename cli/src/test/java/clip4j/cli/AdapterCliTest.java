package clip4j.cli;

import clip4j.testing.TestData;
import clip4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An adapter file from 'adapt' predicts, through 'classify --adapter', exactly what 'fewshot' reported for the same
 * split and seed (labels and logits, bit for bit), for every method; a file fitted on another model is refused.
 */
class AdapterCliTest {
    static final String[] CLASSES = {"circle", "square", "stripes"};

    static void folder(Path dir, int perClass, long seed) throws Exception {
        Random r = new Random(seed);
        for (String c : CLASSES) {
            Files.createDirectories(dir.resolve(c));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(40 + r.nextInt(20), 40 + r.nextInt(20), BufferedImage.TYPE_INT_RGB);
                Graphics2D g = img.createGraphics();
                g.setColor(new Color(r.nextInt(80), r.nextInt(80), r.nextInt(80)));
                g.fillRect(0, 0, img.getWidth(), img.getHeight());
                g.setColor(new Color(150 + r.nextInt(100), 150 + r.nextInt(100), r.nextInt(256)));
                switch (c) {
                    case "circle" -> g.fillOval(5 + r.nextInt(5), 5 + r.nextInt(5), 25, 25);
                    case "square" -> g.fillRect(5 + r.nextInt(5), 5 + r.nextInt(5), 25, 25);
                    default -> {
                        for (int x = 0; x < img.getWidth(); x += 8) g.fillRect(x, 0, 3, img.getHeight());
                    }
                }
                g.dispose();
                ImageIO.write(img, "png", dir.resolve(c).resolve(c + i + ".png").toFile());
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void anAdapterFilePredictsWhatFewshotReported(@TempDir Path dir) throws Exception {
        Path train = dir.resolve("train").toAbsolutePath(), test = dir.resolve("test").toAbsolutePath(), cache = dir.resolve("features");
        folder(train, 7, 1);
        folder(test, 3, 2);
        String model = TestData.seededModelWithText("test-tiny-quickgelu", 1).toString();
        Path index = dir.resolve("index");
        assertEquals(0, Cli.run(dir, "embed", "--model", model, "--input", test.toString(), "--output", index.toString(), "-q").code());
        List<String> common = List.of("--model", model, "--train", train.toString(), "--augment-epochs", "2", "--tip-f-epochs", "3",
                "--clip-adapter-epochs", "4", "--meta-epochs", "1", "--cache", cache.toString(), "--threads", "2");
        for (String method : new String[]{"zero-shot", "tip", "tip-f", "clip-adapter", "meta"}) {
            Path preds = dir.resolve(method + ".jsonl"), adapter = dir.resolve(method + ".adapter");
            List<String> fewshot = new ArrayList<>(List.of("fewshot", "--test", test.toString(), "--method", method, "--shots", "3", "--seeds", "2",
                    "--predictions", preds.toString()));
            fewshot.addAll(common);
            Cli.Result f = Cli.run(dir, fewshot.toArray(String[]::new));
            assertEquals(0, f.code(), f.toString());
            List<String> adapt = new ArrayList<>(List.of("adapt", "--method", method, "--shots", "3", "--seed", "2", "--output", adapter.toString()));
            adapt.addAll(common);
            Cli.Result a = Cli.run(dir, adapt.toArray(String[]::new));
            assertEquals(0, a.code(), a.toString());
            Cli.Result c = Cli.run(dir, "classify", "--model", model, "--adapter", adapter.toString(), "--threads", "1", test.toString());
            assertEquals(0, c.code(), c.toString());
            Map<String, Map<String, Object>> reported = new HashMap<>();
            for (String line : Files.readAllLines(preds)) {
                Map<String, Object> p = Json.parseObject(line);
                reported.put((String) p.get("image"), p);
            }
            assertEquals(9, reported.size());
            for (String line : c.outLines()) {
                Map<String, Object> got = Json.parseObject(line);
                Map<String, Object> want = reported.get((String) got.get("image"));
                assertEquals(want.get("pred"), got.get("label"), method + " " + got.get("image"));
                assertEquals(want.get("logits"), got.get("logits"), method + " " + got.get("image"));
            }
            assertEquals(9, c.outLines().size());
            // the same adapter over an index of the test images' stored embeddings: the same labels and scores
            Path stored = dir.resolve(method + ".parquet");
            Cli.Result ci = Cli.run(dir, "classify", "--model", model, "--adapter", adapter.toString(), "--index", index.toString(), "--output",
                    stored.toString(), "--threads", "1");
            assertEquals(0, ci.code(), ci.toString());
            Map<String, Object[]> byKey = CollectionCliTest.predictions(stored);
            assertEquals(9, byKey.size());
            for (String line : c.outLines()) {
                Map<String, Object> got = Json.parseObject(line);
                Object[] row = byKey.get((String) got.get("image"));
                assertEquals(got.get("label"), row[0], method);
                double p = ((Number) ((Map<String, Object>) got.get("probs")).get(got.get("label"))).doubleValue();
                assertEquals(p, ((Number) row[1]).doubleValue(), 1e-6, method);
            }
        }
        String other = TestData.seededModelWithText("test-tiny-quickgelu", 2).toString();
        Cli.Result wrong = Cli.run(dir, "classify", "--model", other, "--adapter", dir.resolve("tip.adapter").toString(), test.toString());
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.err().contains("another model"), wrong.toString());
        Files.write(dir.resolve("junk.adapter"), new byte[]{8, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        Cli.Result junk = Cli.run(dir, "classify", "--model", model, "--adapter", dir.resolve("junk.adapter").toString(), test.toString());
        assertEquals(1, junk.code(), junk.toString());
        assertTrue(junk.err().contains("adapter") && !junk.err().contains("\tat "), junk.toString());
    }
}
