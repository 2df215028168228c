package clip4j.cli;

import picocli.CommandLine.Option;

/** Options every command takes: how much it says on stderr. */
final class CommonOptions {
    @Option(names = "--verbose", description = "print the stack trace of an error too")
    boolean verbose;

    boolean quiet;

    @Option(names = {"-q", "--quiet"}, description = "no progress or information on stderr (warnings and errors still)")
    void quiet(boolean q) {
        quiet = q;
        Log.setQuiet(q);
    }
}
