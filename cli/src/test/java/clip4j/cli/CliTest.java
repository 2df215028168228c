package clip4j.cli;

import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's error policy: one line on stderr, non-zero exit, nothing at --output. */
class CliTest {
    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return buf.toString();
    }

    @Test
    void missingModelFile(@TempDir Path dir) {
        int[] rc = new int[1];
        String err = stderrOf(() -> rc[0] = Main.run("embed-image", "--model", dir.resolve("nope.safetensors").toString(), "x.png"));
        assertNotEquals(0, rc[0]);
        assertTrue(err.contains("model file not found"), err);
        assertFalse(err.contains("\tat "), "no stack trace without --verbose");
    }

    @Test
    void badConvertLeavesNothing(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("junk.pt");
        Files.writeString(junk, "definitely not a checkpoint");
        Path out = dir.resolve("out.safetensors");
        int[] rc = new int[1];
        String err = stderrOf(() -> rc[0] = Main.run("convert", "--input", junk.toString(), "--output", out.toString()));
        assertEquals(1, rc[0]);
        assertEquals(1, err.strip().lines().filter(l -> l.startsWith("clip4j: error")).count(), err);
        assertFalse(Files.exists(out));
    }

    @Test
    void emptyLabelListAndUnknownFlag(@TempDir Path dir) throws Exception {
        Path model = TestData.seededModel("test-tiny-quickgelu", 3, clip4j.io.DType.F32);
        int[] rc = new int[1];
        String err = stderrOf(() -> rc[0] = Main.run("classify", "--model", model.toString(), "--labels", " , ",
                TestData.resource("/golden/rgb_31x17.png").toString()));
        assertNotEquals(0, rc[0]);
        assertTrue(err.contains("no class names given"), err);
        err = stderrOf(() -> rc[0] = Main.run("embed-text", "--bogus"));
        assertEquals(2, rc[0]);
    }

    @Test
    void initRandomThenConvertThenEmbed(@TempDir Path dir) {
        Path hf = dir.resolve("hf");
        Cli.Result init = Cli.run(dir, "init-random", "--arch", "test-tiny-quickgelu", "--seed", "4", "--output", hf.toString());
        assertEquals(0, init.code(), init.toString());
        assertTrue(init.err().contains("clip4j's own"), "offline, the random model gets clip4j's vocabulary, said plainly: " + init.err());
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, Cli.run(dir, "convert", "--input", hf.toString(), "--output", model.toString(), "--dtype", "bf16").code());
        Cli.Result text = Cli.run(dir, "embed-text", "--model", model.toString(), "--threads", "1", "a photo of a sneaker");
        assertEquals(0, text.code(), text.toString());
        Cli.Result img = Cli.run(dir, "embed-image", "--model", model.toString(), "--threads", "1",
                TestData.resource("/golden/rgba_301x200.png").toString());
        assertEquals(0, img.code(), img.toString());
    }

    @Test
    void convertWithoutAnyVocabularySaysHowToGetOne(@TempDir Path dir) throws Exception {
        // a checkpoint without merges (as OpenAI's and open_clip's are); offline with an empty cache there is no vocabulary
        Path ckpt = dir.resolve("hf");
        assertEquals(0, Cli.run(dir, "init-random", "--arch", "test-tiny", "--output", ckpt.toString()).code());
        Files.delete(ckpt.resolve("merges.txt"));
        Path out = dir.resolve("m.safetensors");
        Cli.Result r = Cli.run(dir, "convert", "--input", ckpt.toString(), "--output", out.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("--bpe") && r.err().contains("CLIP4J_BPE") && r.err().contains("CLIP4J_OFFLINE=1"), r.err());
        assertFalse(Files.exists(out));
        Cli.Result imagesOnly = Cli.run(dir, "convert", "--input", ckpt.toString(), "--no-bpe", "--output", out.toString());
        assertEquals(0, imagesOnly.code(), imagesOnly.toString());
    }
}
