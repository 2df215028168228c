package clip4j.cli;

import clip4j.testing.TestData;
import clip4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * embed, search and ann as a user runs them: a run killed with SIGKILL mid-way resumes to the bytes of an
 * uninterrupted one; a bad image gives exit 3 and a row with its reason; search finds an image by itself, exactly and
 * through the graph; classify over the index says what classify says of each image file; another model is refused.
 */
class CollectionCliTest {
    @Test
    @SuppressWarnings("unchecked")
    void embedSurvivesKillMinus9AndSearchFindsTheImage(@TempDir Path dir) throws Exception {
        Path images = dir.resolve("images");
        Files.createDirectories(images);
        for (int i = 0; i < 40; i++) {
            BufferedImage img = new BufferedImage(30 + i, 50 - i / 2, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) img.setRGB(x, y, (x * 37 + y * 11 + i * 1001) * 2654435761L > 0 ? (x * i) << 8 | y * 3 : x);
            ImageIO.write(img, "png", images.resolve(String.format("p%02d.png", i)).toFile());
        }
        Files.writeString(images.resolve("zz-broken.png"), "\u0089PNG but no more");
        String model = TestData.seededModelWithText("test-tiny-quickgelu", 3).toString();
        Path whole = dir.resolve("whole"), killed = dir.resolve("killed");
        Cli.Result a = Cli.run(dir, "embed", "--model", model, "--input", images.toString(), "--output", whole.toString(), "--shard-size", "4",
                "--batch", "1", "--threads", "1");
        assertEquals(3, a.code(), a.toString());
        assertTrue(a.err().contains("41 images in 11 shard(s)") && a.err().contains("1 failed"), a.toString());

        // the same run, killed once three shards are written
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "embed", "--model", model, "--input", images.toString(), "--output", killed.toString(), "--shard-size", "4", "--batch", "1",
                "--threads", "1", "-q"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile());
        pb.environment().putAll(Map.of("CLIP4J_OFFLINE", "1", "CLIP4J_CACHE", dir.toString(), "CLIP4J_GEMM_PLAN", "8x2 kc768 mc96 nc8"));
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(killed.resolve("embeddings-00002.npy")) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
        p.destroyForcibly().waitFor(); // SIGKILL
        assertTrue(Files.exists(killed.resolve("embeddings-00002.npy")), Files.readString(dir.resolve("killed.log")));
        Cli.Result b = Cli.run(dir, "embed", "--model", model, "--input", images.toString(), "--output", killed.toString(), "--shard-size", "4",
                "--batch", "1", "--threads", "1");
        assertEquals(3, b.code(), b.toString());
        assertTrue(b.err().contains("kept from before"), b.toString());
        Map<String, byte[]> x = files(whole), y = files(killed);
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) assertArrayEquals(x.get(k), y.get(k), k);

        String query = images.resolve("p17.png").toString();
        for (boolean ann : new boolean[]{false, true}) {
            if (ann) assertEquals(0, Cli.run(dir, "ann", "--index", whole.toString(), "-q").code());
            List<String> args = new ArrayList<>(List.of("search", "--model", model, "--index", whole.toString(), "--image", query, "--k", "3"));
            if (ann) args.add("--ann");
            Cli.Result s = Cli.run(dir, args.toArray(String[]::new));
            assertEquals(0, s.code(), s.toString());
            Map<String, Object> first = Json.parseObject(s.outLines().getFirst());
            assertEquals(query, first.get("key"), s.toString());
            assertEquals(1.0, ((Number) first.get("score")).doubleValue(), 1e-6);
            assertEquals(3, s.outLines().size());
        }
        // classify every row of the index from its stored embeddings: what classify says of the image file itself
        Path preds = dir.resolve("preds.parquet");
        Cli.Result ci = Cli.run(dir, "classify", "--model", model, "--index", whole.toString(), "--labels", "cat,dog,car", "--output", preds.toString());
        assertEquals(0, ci.code(), ci.toString());
        Map<String, Object[]> byKey = predictions(preds);
        assertEquals(41, byKey.size());
        assertEquals(true, byKey.get(images.resolve("zz-broken.png").toString())[2]);
        Cli.Result alone = Cli.run(dir, "classify", "--model", model, "--labels", "cat,dog,car", query);
        Map<String, Object> a0 = Json.parseObject(alone.outLines().getFirst());
        assertEquals(a0.get("label"), byKey.get(query)[0]);
        assertEquals(((Number) ((Map<String, Object>) a0.get("probs")).get(a0.get("label"))).floatValue(), (Float) byKey.get(query)[1]);

        String other = TestData.seededModelWithText("test-tiny-quickgelu", 4).toString();
        Cli.Result wrong = Cli.run(dir, "search", "--model", other, "--index", whole.toString(), "--text", "a cat");
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.err().contains("another model"), wrong.toString());
        Cli.Result changed = Cli.run(dir, "embed", "--model", other, "--input", images.toString(), "--output", whole.toString(), "--shard-size", "4");
        assertEquals(1, changed.code(), changed.toString());
        assertTrue(changed.err().contains("--overwrite") && !changed.err().contains("\tat "), changed.toString());
    }

    private static Map<String, byte[]> files(Path d) throws Exception {
        Map<String, byte[]> m = new TreeMap<>();
        try (var s = Files.list(d)) {
            for (Path f : s.toList()) if (Files.isRegularFile(f)) m.put(f.getFileName().toString(), Files.readAllBytes(f));
        }
        return m;
    }

    /** classify --index's Parquet output by key: {label or null, score or null, whether an error is recorded}. */
    static Map<String, Object[]> predictions(Path preds) throws java.io.IOException {
        Map<String, Object[]> byKey = new TreeMap<>();
        try (var r = org.apache.parquet.hadoop.ParquetFileReader.open(new org.apache.parquet.io.LocalInputFile(preds),
                org.apache.parquet.ParquetReadOptions.builder(new org.apache.parquet.conf.PlainParquetConfiguration()).build())) {
            var schema = r.getFooter().getFileMetaData().getSchema();
            for (var pages = r.readNextRowGroup(); pages != null; pages = r.readNextRowGroup()) {
                var rr = new org.apache.parquet.io.ColumnIOFactory().getColumnIO(schema)
                        .getRecordReader(pages, new org.apache.parquet.example.data.simple.convert.GroupRecordConverter(schema));
                for (long i = 0; i < pages.getRowCount(); i++) {
                    var g = rr.read();
                    boolean ok = g.getFieldRepetitionCount("label") > 0;
                    byKey.put(g.getString("key", 0), new Object[]{ok ? g.getString("label", 0) : null, ok ? g.getFloat("score", 0) : null,
                            g.getFieldRepetitionCount("error") > 0});
                }
            }
        }
        return byKey;
    }
}
