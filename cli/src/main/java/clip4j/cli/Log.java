package clip4j.cli;

/**
 * What the CLI tells the user on stderr (stdout carries only results): its own messages, and the library's log
 * records, which reach it through {@link CliLoggerFinder}. {@code --quiet} silences the informational ones.
 */
final class Log {
    private static volatile boolean quiet;

    private Log() {
    }

    static void setQuiet(boolean q) {
        quiet = q;
    }

    static boolean quiet() {
        return quiet;
    }

    static void info(String msg) {
        if (!quiet) System.err.println("clip4j: " + msg);
    }

    static void warn(String msg) {
        System.err.println("clip4j: warning: " + msg);
    }
}
