package clip4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the CLI as a user does: a separate JVM (so stdout, stdin, the environment and the exit code are real), offline
 * ($CLIP4J_OFFLINE=1) with its own user cache and a fixed GEMM plan, unless the test's environment says otherwise.
 */
final class Cli {
    record Result(int code, String out, String err) {
        List<String> outLines() {
            return out.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {
    }

    static Result run(Path cache, Map<String, String> env, String stdin, String... args) {
        return run(cache, List.of(), env, stdin, args);
    }

    /** {@link #run(Path, Map, String, String...)} with extra JVM flags. */
    static Result run(Path cache, List<String> jvmFlags, Map<String, String> env, String stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss4m"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // a fixed GEMM plan: a fresh cache would otherwise spend the tuner's 2 s in every run (TuneCliTest tunes)
        Map<String, String> e = new HashMap<>(Map.of("CLIP4J_OFFLINE", "1", "CLIP4J_CACHE", cache.toString(), "CLIP4J_STDERR_TTY", "0",
                "CLIP4J_GEMM_PLAN", "8x2 kc768 mc96 nc8"));
        e.putAll(env);
        pb.environment().remove("CLIP4J_BPE");
        pb.environment().putAll(e);
        try {
            Process p = pb.start();
            CompletableFuture<String> out = drain(p.getInputStream()), err = drain(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("clip4j " + String.join(" ", args) + " did not finish in 300 s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e2) {
            throw new UncheckedIOException(e2);
        } catch (InterruptedException e2) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e2);
        }
    }

    static Result run(Path cache, String... args) {
        return run(cache, Map.of(), null, args);
    }

    private static CompletableFuture<String> drain(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                return new String(s.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Main.run in this JVM with System.out and System.err captured (for help and usage errors, which print nothing else). */
    static Result inProcess(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
