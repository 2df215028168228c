package clip4j.util;

/** Logs, progress and warnings go to stderr (stdout carries only results). */
public final class Log {
    private static volatile boolean quiet = Boolean.getBoolean("clip4j.quiet");

    private Log() {
    }

    public static void setQuiet(boolean q) {
        quiet = q;
    }

    public static void info(String msg) {
        if (!quiet) System.err.println("clip4j: " + msg);
    }

    public static void warn(String msg) {
        System.err.println("clip4j: warning: " + msg);
    }
}
