package clip4j.cli;

import java.text.MessageFormat;
import java.util.ResourceBundle;

/**
 * Renders {@link System.Logger} records as the CLI's stderr lines ({@link Log}): the library logs through
 * System.Logger and prints nothing itself. Registered as the JDK's logger finder (META-INF/services), so it applies
 * whenever the CLI jar is on the class path. The engine's records (logger "clip4j") become "clip4j: ..." lines,
 * warnings "clip4j: warning: ..."; other loggers' (the JDK's own) are shown only from warnings up.
 */
public final class CliLoggerFinder extends System.LoggerFinder {
    @Override
    public System.Logger getLogger(String name, Module module) {
        return new CliLogger(name);
    }

    static final String CONNECTION_LOGGER = "io.helidon.webserver.http1.Http1Connection";

    private record CliLogger(String name) implements System.Logger {
        @Override
        public String getName() {
            return name;
        }

        private boolean ours() {
            return name.equals("clip4j") || name.startsWith("clip4j.");
        }

        /**
         * Ours from DEBUG up (the library's routine messages), others from WARNING up; only warnings when quiet. The
         * HTTP server's per-connection logger from ERROR up: it warns of every client that drops a request half sent,
         * which a hostile client turns into a log line per connection.
         */
        @Override
        public boolean isLoggable(Level level) {
            Level least = ours() && !Log.quiet() ? Level.DEBUG : name.equals(CONNECTION_LOGGER) ? Level.ERROR : Level.WARNING;
            return level.getSeverity() >= least.getSeverity() && level != Level.OFF;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            if (!isLoggable(level)) return;
            String text = thrown == null ? msg : msg + ": " + thrown.getMessage();
            if (!ours()) text = name + ": " + text;
            if (level.getSeverity() >= Level.WARNING.getSeverity()) Log.warn(text);
            else Log.info(text);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (isLoggable(level)) log(level, bundle, params == null || params.length == 0 ? format : MessageFormat.format(format, params), (Throwable) null);
        }
    }
}
