package clip4j.cli;

import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile input: a full disk and an unwritable stdout are one-line errors with a non-zero exit, never exit 0. */
class WriteFaultsCliTest {
    private static Cli.Result run(Path dir, String shellPrefix, File stdout, String... args) throws Exception {
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        java.addAll(List.of(args));
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", shellPrefix + " exec \"$@\"", "bash"));
        cmd.addAll(java);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("CLIP4J_OFFLINE", "1");
        pb.environment().put("CLIP4J_CACHE", dir.toString());
        pb.environment().put("CLIP4J_GEMM_PLAN", "8x2 kc768 mc96 nc8");
        if (stdout != null) pb.redirectOutput(stdout);
        Path err = dir.resolve("stderr-" + System.nanoTime());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Cli.Result(p.exitValue(), "", Files.readString(err));
    }

    @Test
    void aFullDiskIsAnError(@TempDir Path dir) throws Exception {
        // ulimit -f makes writes past 64 KB fail as a full disk does (EFBIG instead of ENOSPC): a 1 MB model cannot fit
        Path out = dir.resolve("hf");
        Cli.Result r = run(dir, "ulimit -f 64;", null, "init-random", "--arch", "test-tiny", "--output", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("clip4j: error: cannot write") && !r.err().contains("\tat "), r.err());
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary left");
        }
    }

    @Test
    void anUnwritableStdoutIsAnError(@TempDir Path dir) throws Exception {
        Path model = TestData.seededModelWithText("test-tiny-quickgelu", 3);
        File full = new File("/dev/full");
        Cli.Result text = run(dir, "", full, "embed-text", "--model", model.toString(), "a photo of a cat");
        assertEquals(1, text.code(), text.err());
        assertTrue(text.err().contains("cannot write the results to standard output"), text.err());
        Cli.Result version = run(dir, "", full, "--version");
        assertEquals(1, version.code(), version.err());
    }
}
