package clip4j.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Progress of a long job on stderr: a progress bar (with rate and time left) when stderr is a terminal, otherwise a
 * plain line every {@link #LINE_EVERY_NS} (for logs and CI). Nothing when quiet. Told counts through {@link #accept}.
 */
final class Progress implements IntConsumer, AutoCloseable {
    private static final long LINE_EVERY_NS = 10_000_000_000L;

    private final String task;
    private final long total;
    private final ProgressBar bar;
    /** stderr before the bar: the bar draws on it, and it is put back when the bar closes. */
    private final PrintStream stderr = System.err;
    private final long t0 = System.nanoTime();
    private long done;
    private long lastLine = t0;

    private Progress(String task, long total, ProgressBar bar) {
        this.task = task;
        this.total = total;
        this.bar = bar;
        // while the bar is drawn, anything else written to stderr first clears the bar's line
        if (bar != null) System.setErr(new PrintStream(new LineClearing(stderr), true, StandardCharsets.UTF_8));
    }

    /**
     * @param unit  what is counted, as the bar shows it ("img", "text")
     * @param total the expected count, or 0 when unknown
     */
    static Progress start(String task, String unit, long total, boolean quiet) {
        if (quiet) return none();
        if (!stderrIsTerminal()) return new Progress(task, total, null);
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(total > 0 ? total : -1)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(500).showSpeed(new java.text.DecimalFormat("0.0")).setUnit(" " + unit, 1);
        return new Progress(task, total, b.build());
    }

    /** Off: counts are kept, nothing is shown. */
    static Progress none() {
        return new Progress("", 0, null);
    }

    @Override
    public synchronized void accept(int n) {
        done += n;
        if (bar != null) {
            bar.stepBy(n);
            return;
        }
        long now = System.nanoTime();
        if (task.isEmpty() || now - lastLine < LINE_EVERY_NS) return;
        lastLine = now;
        Log.info(line(now));
    }

    long done() {
        return done;
    }

    private String line(long now) {
        double sec = (now - t0) / 1e9;
        double rate = done / Math.max(sec, 1e-9);
        if (total <= 0) return String.format(Locale.ROOT, "%s: %d done, %.1f/s", task, done, rate);
        return String.format(Locale.ROOT, "%s: %d/%d (%.0f%%), %.1f/s, about %.0f s left", task, done, total,
                100.0 * done / total, rate, Math.max(0, total - done) / Math.max(rate, 1e-9));
    }

    @Override
    public void close() {
        if (bar != null) {
            System.setErr(stderr);
            bar.close();
        }
    }

    /** Writes "carriage return, erase line" before each line it passes on, so a line never starts after the bar. */
    private static final class LineClearing extends FilterOutputStream {
        private static final byte[] CLEAR = "\r\u001b[K".getBytes(StandardCharsets.US_ASCII);
        private boolean lineStart = true;

        LineClearing(OutputStream out) {
            super(out);
        }

        @Override
        public synchronized void write(int b) throws IOException {
            if (lineStart) out.write(CLEAR);
            out.write(b);
            lineStart = b == '\n';
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) write(b[i]);
        }
    }

    /**
     * $CLIP4J_STDERR_TTY when the launcher says (it filters stderr through a pipe); else on Linux whether fd 2 is a
     * terminal device; else the JVM's console, which needs stdin and stdout on a terminal.
     */
    static boolean stderrIsTerminal() {
        String said = System.getenv("CLIP4J_STDERR_TTY");
        if (said != null && !said.isEmpty()) return said.equals("1");
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            java.io.Console c = System.console();
            return c != null && c.isTerminal();
        }
    }
}
