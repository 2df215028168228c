package clip4j.cli;

import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How to run the engine is chosen by flags, turned into the library's options: a bad value is bad usage (exit 2, one
 * line), a setting the chosen backend has no use for is an error, and the library's log records reach stderr as the
 * CLI's own lines (the backend it chose; nothing with --quiet).
 */
class EngineOptionsCliTest {
    private static String model() {
        return TestData.seededModelWithText("test-tiny-quickgelu", 8).toString();
    }

    private static void badUsage(Cli.Result r, String says) {
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(says), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r);
    }

    @Test
    void badValuesAreBadUsage(@TempDir Path dir) {
        badUsage(Cli.run(dir, "embed-text", "--model", model(), "--vector-bits", "100", "x"), "--vector-bits must be 128, 256 or 512, not 100");
        badUsage(Cli.run(dir, "embed-text", "--model", model(), "--precision", "fp8", "x"), "--precision must be fp32, fp16 or bf16, not fp8");
        badUsage(Cli.run(dir, "embed-text", "--model", model(), "--threads", "0", "x"), "--threads must be at least 1, not 0");
    }

    @Test
    void aSettingTheBackendCannotUseIsAnError(@TempDir Path dir) {
        Cli.Result r = Cli.run(dir, "embed-text", "--model", model(), "--precision", "fp16", "x");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("precision fp16 is for device backends; cpu computes in fp32"), r.toString());
        r = Cli.run(dir, "embed-text", "--model", model(), "--device", "cpu-reference", "--vector-bits", "256", "x");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("settings of the cpu backend, not of cpu-reference"), r.toString());
    }

    @Test
    void theOptionsReachTheBackendAndItsLogReachesStderr(@TempDir Path dir) {
        Cli.Result r = Cli.run(dir, "embed-text", "--model", model(), "--vector-bits", "128", "--threads", "1", "--pack-per-call", "a cat");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("clip4j: backend cpu (Vector API 128-bit, 1 threads)"), r.toString());
        Cli.Result quiet = Cli.run(dir, "embed-text", "--model", model(), "-q", "a cat");
        assertEquals(0, quiet.code(), quiet.toString());
        assertFalse(quiet.err().contains("clip4j: backend"), "--quiet silences the library's routine records: " + quiet);
    }
}
