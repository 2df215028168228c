package clip4j.cli;

import clip4j.ClipException;
import clip4j.util.Json;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The images a batch command reads ({@link InputArgs}) and what it does with one it cannot use: stop (the default: a
 * one-line error, exit 1), or with {@code --skip-bad} record it as a JSON line {"input", "error"} on stderr or in
 * {@code --errors FILE}, go on, and exit with {@link #SOME_FAILED}.
 */
final class BatchOptions implements AutoCloseable {
    /** Exit code of a run that finished but skipped some inputs. */
    static final int SOME_FAILED = 3;

    @Option(names = "--skip-bad", description = "record unreadable inputs and go on (exit code 3 if any) instead of stopping at the first")
    boolean skipBad;

    @Option(names = "--errors", paramLabel = "FILE", description = "write the failures as JSON lines {\"input\", \"error\"} to FILE "
            + "(overwritten; implies --skip-bad) instead of stderr")
    Path errorsFile;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Parameters(arity = "0..*", paramLabel = "IMAGE", description = "image files; a directory means every image file under it "
            + "(recursively); @FILE reads one path per line from FILE, - from stdin")
    List<String> inputs;

    /** Whether any image argument was given (commands that take other inputs instead refuse both). */
    boolean given() {
        return inputs != null && !inputs.isEmpty();
    }

    private PrintStream errors;

    /**
     * The image paths the arguments name; none at all is an error (an empty folder or list is a mistake, not a run).
     * Opens {@code --errors FILE} now, so that an unwritable one stops the run before anything is computed.
     */
    List<Path> images() {
        if (inputs == null || inputs.isEmpty()) throw new ParameterException(command.commandLine(), "Missing required parameter: 'IMAGE'");
        List<Path> images = InputArgs.images(inputs);
        if (images.isEmpty()) throw new ClipException("no images: " + String.join(" ", inputs) + " name(s) no image file");
        if (errorsFile != null) errors();
        return images;
    }
    private int failed;

    /** Records a failure (or rethrows it without --skip-bad). */
    synchronized void failed(String input, ClipException e) {
        if (!skipBad && errorsFile == null) throw e;
        failed++;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("input", input);
        r.put("error", e.getMessage());
        errors().println(Json.write(r));
    }

    private PrintStream errors() {
        if (errors == null) {
            if (errorsFile == null) {
                errors = System.err;
            } else {
                try {
                    errors = new PrintStream(Files.newOutputStream(errorsFile), true, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new ClipException("cannot write " + errorsFile + ": " + e.getMessage(), e);
                }
            }
        }
        return errors;
    }

    int failedCount() {
        return failed;
    }

    /** 0, or {@link #SOME_FAILED} after a summary line when inputs were skipped. */
    int exitCode(int total) {
        if (failed == 0) return 0;
        Log.warn(failed + " of " + total + " input(s) failed and were skipped" + (errorsFile != null ? " (see " + errorsFile + ")" : ""));
        return SOME_FAILED;
    }

    @Override
    public void close() {
        if (errorsFile != null) errors().close(); // an empty file when nothing failed, never a stale one
    }
}
