package clip4j.cli;

import clip4j.ClipException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Properties;

/** Entry point: subcommands, and the one-line error policy (stack traces only with --verbose). */
@Command(name = "clip4j", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        showDefaultValues = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Pure-Java CLIP inference: image and text embeddings, zero-shot classification, and the few-shot "
                + "adapters of Tip-Adapter and Meta-Adapter, on a JDK alone. Start with 'clip4j demo', or convert a "
                + "checkpoint with 'clip4j convert'. 'clip4j COMMAND --help' explains each command."},
        footer = {"", "Results go to stdout, information and errors to stderr. Exit codes: 0 success, 1 error, 2 bad usage, "
                + "3 finished with some inputs skipped (--skip-bad).",
                "", "Examples:", "  clip4j demo", "  clip4j convert --input ViT-B-32.pt --output vit-b-32.safetensors",
                "  clip4j classify --model vit-b-32.safetensors --labels cat,dog photos/"},
        subcommands = {ConvertCommand.class, EmbedCommand.class, SearchCommand.class, AnnCommand.class, ServeCommand.class, EmbedImageCommand.class, EmbedTextCommand.class, ClassifyCommand.class, AdaptCommand.class,
                InitRandomCommand.class, DemoCommand.class, FewShotCommand.class, MetaTrainCommand.class, BenchCommand.class, TuneCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Lucene and Helidon report through java.util.logging (set-up lines at INFO): kept to warnings, like the CLI's own log. */
    private static final java.util.logging.Logger LUCENE = java.util.logging.Logger.getLogger("org.apache.lucene"),
            HELIDON = java.util.logging.Logger.getLogger("io.helidon");

    static int run(String... args) {
        LUCENE.setLevel(java.util.logging.Level.WARNING);
        HELIDON.setLevel(java.util.logging.Level.WARNING);
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine cl = new CommandLine(new Main());
        cl.setExpandAtFiles(false); // @FILE is read by the batch commands themselves: one entry per line
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (verbose) ex.printStackTrace();
            String msg = ex instanceof ClipException ? ex.getMessage() : ex.getClass().getSimpleName() + ": " + ex.getMessage();
            System.err.println("clip4j: error: " + msg.lines().findFirst().orElse(""));
            return 1;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("clip4j: error: " + ex.getMessage().lines().findFirst().orElse("")
                    + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        int rc = cl.execute(args);
        if (rc == 0 && (cl.getOut().checkError() || System.out.checkError())) { // help or version text that could not be written
            System.err.println("clip4j: error: cannot write to standard output");
            return 1;
        }
        return rc;
    }

    /** The version, commit and build time, written into build.properties by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("build.properties")) {
                if (in != null) p.load(in);
            }
            return new String[]{"clip4j " + known(p, "version") + " (commit " + known(p, "commit") + ", built " + known(p, "built") + ")",
                    "Java " + Runtime.version() + ", " + System.getProperty("java.vm.name") + ", " + System.getProperty("os.arch")};
        }

        private static String known(Properties p, String key) {
            String v = p.getProperty(key, "");
            return v.isBlank() || v.startsWith("${") ? "unknown" : v;
        }
    }
}
