package clip4j.cli;

import clip4j.ClipException;
import clip4j.util.Log;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: subcommands, and the one-line error policy (stack traces only with --verbose). */
@Command(name = "clip4j", mixinStandardHelpOptions = true, version = "clip4j 0.1.0",
        description = "Pure-Java CLIP inference.",
        subcommands = {ConvertCommand.class, EmbedImageCommand.class, EmbedTextCommand.class, ClassifyCommand.class,
                InitRandomCommand.class, DemoCommand.class, FewShotCommand.class, MetaTrainCommand.class, BenchCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (verbose) ex.printStackTrace();
            String msg = ex instanceof ClipException ? ex.getMessage() : ex.getClass().getSimpleName() + ": " + ex.getMessage();
            System.err.println("clip4j: error: " + msg.lines().findFirst().orElse(""));
            return 1;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("clip4j: error: " + ex.getMessage().lines().findFirst().orElse(""));
            return 2;
        });
        return cl.execute(args);
    }

    static void quietIfAsked(boolean quiet) {
        Log.setQuiet(quiet);
    }
}
