package clip4j.cli;

import clip4j.testing.TestData;
import clip4j.util.Json;
import org.junit.jupiter.api.BeforeAll;
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

/** Batch use from the shell, as a separate process: folders, @lists, stdin, bad inputs, labelled and streamed output. */
class BatchUseTest {
    @TempDir
    static Path tmp;
    static Path model;
    static Path photos;

    @BeforeAll
    static void setUp() throws IOException {
        model = TestData.seededModelWithText("test-tiny-quickgelu", 3);
        photos = tmp.resolve("photos");
        Files.createDirectories(photos.resolve("nested dir"));
        Files.copy(TestData.resource("/golden/rgb_31x17.png"), photos.resolve("a.png"));
        Files.copy(TestData.resource("/golden/formats/jpeg_cmyk_173x131.jpg"), photos.resolve("b cmyk.jpg"));
        Files.copy(TestData.resource("/golden/la_90x70.png"), photos.resolve("nested dir").resolve("c.PNG"));
        Files.writeString(photos.resolve("bad.png"), "not an image");
        Files.writeString(photos.resolve("notes.txt"), "not an image either, and not an image name");
    }

    private static Path cache() {
        return tmp.resolve("cache");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String line) {
        return Json.parseObject(line);
    }

    @Test
    void folderWithABadImage() {
        Cli.Result r = Cli.run(cache(), "embed-image", "--model", model.toString(), "--skip-bad", photos.toString());
        assertEquals(BatchOptions.SOME_FAILED, r.code(), r.toString());
        List<String> images = r.outLines().stream().map(l -> (String) json(l).get("image")).toList();
        assertEquals(List.of(photos.resolve("a.png").toString(), photos.resolve("b cmyk.jpg").toString(),
                photos.resolve("nested dir/c.PNG").toString()), images, "sorted, recursive, image names only, bad one left out");
        assertEquals(64, ((List<?>) json(r.outLines().getFirst()).get("embedding")).size());
        String failure = r.err().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
        assertEquals(photos.resolve("bad.png").toString(), json(failure).get("input"));
        assertTrue(((String) json(failure).get("error")).contains("bad.png"), failure);
        assertTrue(r.err().contains("1 of 4 input(s) failed"), r.err());

        Cli.Result strict = Cli.run(cache(), "embed-image", "--model", model.toString(), photos.toString());
        assertEquals(1, strict.code(), strict.toString());
        assertTrue(strict.err().contains("clip4j: error: ") && strict.err().contains("bad.png"), strict.err());
        assertTrue(strict.outLines().size() <= 2, "at most the images before the bad one");
        strict.outLines().forEach(BatchUseTest::json);
    }

    @Test
    void errorsFileListsAndStdin() throws IOException {
        Path list = tmp.resolve("list.txt");
        Files.writeString(list, photos.resolve("b cmyk.jpg") + "\n\n" + photos.resolve("missing.png") + "\n");
        Path errors = tmp.resolve("errors.jsonl");
        Cli.Result r = Cli.run(cache(), "embed-image", "--model", model.toString(), "--errors", errors.toString(), "@" + list);
        assertEquals(BatchOptions.SOME_FAILED, r.code(), r.toString());
        assertEquals(1, r.outLines().size());
        List<String> err = Files.readAllLines(errors);
        assertEquals(1, err.size());
        assertTrue(((String) json(err.getFirst()).get("error")).contains("image not found"), err.getFirst());

        Cli.Result fromStdin = Cli.run(cache(), Map.of(), photos.resolve("a.png") + "\n", "embed-image", "--model", model.toString(), "-");
        assertEquals(0, fromStdin.code(), fromStdin.toString());
        assertEquals(1, fromStdin.outLines().size());
    }

    @Test
    void textsFromFileStdinAndOneTruncationWarning() throws IOException {
        Path texts = tmp.resolve("texts.txt");
        Files.writeString(texts, "a photo of a cat\n\nsneakers, on a shelf\n" + "word ".repeat(100) + "\n");
        Cli.Result r = Cli.run(cache(), "embed-text", "--model", model.toString(), "--file", texts.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("a photo of a cat", "sneakers, on a shelf", "word ".repeat(100)),
                r.outLines().stream().map(l -> json(l).get("text")).toList(), "one text per line, blank lines skipped");
        assertEquals(1, r.err().lines().filter(l -> l.contains("truncated")).count(), r.err());

        Cli.Result dash = Cli.run(cache(), Map.of(), "first line\nsecond line\n", "embed-text", "--model", model.toString(), "-");
        assertEquals(List.of("first line", "second line"), dash.outLines().stream().map(l -> json(l).get("text")).toList(), dash.toString());
        Cli.Result at = Cli.run(cache(), "embed-text", "--model", model.toString(), "@" + texts, "one more");
        assertEquals(4, at.outLines().size(), at.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void classifyLabelsEveryNumber() throws IOException {
        Path labels = tmp.resolve("labels.txt");
        Files.writeString(labels, "cat\nsneaker\nankle boot\n");
        Cli.Result r = Cli.run(cache(), "classify", "--model", model.toString(), "--labels-file", labels.toString(),
                photos.resolve("a.png").toString(), photos.resolve("b cmyk.jpg").toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(2, r.outLines().size());
        for (String line : r.outLines()) {
            Map<String, Object> rec = json(line);
            Map<String, Object> probs = (Map<String, Object>) rec.get("probs");
            assertEquals(List.of("cat", "sneaker", "ankle boot"), List.copyOf(probs.keySet()));
            assertEquals(List.of("cat", "sneaker", "ankle boot"), List.copyOf(((Map<String, Object>) rec.get("logits")).keySet()));
            double sum = probs.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sum();
            assertEquals(1.0, sum, 1e-5);
            assertTrue(probs.containsKey((String) rec.get("label")));
        }
        Cli.Result dup = Cli.run(cache(), "classify", "--model", model.toString(), "--labels", "cat,cat", photos.resolve("a.png").toString());
        assertEquals(1, dup.code());
        assertTrue(dup.err().contains("given twice"), dup.err());
    }

    @Test
    void anEmptyFolderIsAnError() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "no images here");
        Cli.Result r = Cli.run(cache(), "embed-image", "--model", model.toString(), empty.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("no images"), r.err());
        assertTrue(r.out().isEmpty());
    }

    @Test
    void symbolicLinkLoopIsSkipped() throws IOException {
        Path d = tmp.resolve("loop");
        Files.createDirectories(d.resolve("sub"));
        Files.copy(TestData.resource("/golden/rgb_31x17.png"), d.resolve("sub").resolve("x.png"));
        Files.createSymbolicLink(d.resolve("sub").resolve("back"), d);
        Cli.Result r = Cli.run(cache(), "embed-image", "--model", model.toString(), d.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(1, r.outLines().size());
        assertTrue(r.err().contains("loops back"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
