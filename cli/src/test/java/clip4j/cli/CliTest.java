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
        assertTrue(err.contains("--labels is empty"), err);
        err = stderrOf(() -> rc[0] = Main.run("embed-text", "--bogus"));
        assertEquals(2, rc[0]);
    }

    @Test
    void initRandomThenConvertThenEmbed(@TempDir Path dir) {
        Path hf = dir.resolve("hf");
        assertEquals(0, Main.run("init-random", "--arch", "test-tiny-quickgelu", "--seed", "4", "--output", hf.toString()));
        Path model = dir.resolve("m.safetensors");
        assertEquals(0, Main.run("convert", "--input", hf.toString(), "--output", model.toString(), "--dtype", "bf16"));
        assertEquals(0, Main.run("embed-image", "--model", model.toString(), "--threads", "1",
                TestData.resource("/golden/rgba_301x200.png").toString()));
    }
}
