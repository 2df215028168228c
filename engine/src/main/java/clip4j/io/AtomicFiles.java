package clip4j.io;

import clip4j.ClipException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Outputs are written to a temporary sibling and renamed into place, so a failure never leaves half a file. The
 * temporary's name carries the writing process's id ({@code .NAME.PID.RANDOM.tmp}): the first write into a folder in a
 * process removes the temporaries there that a process no longer running left (killed mid-write) and that nobody has
 * touched for {@link #STALE_AFTER} (a process in another PID namespace or on another host may share the folder). An
 * output that exists and is not a regular file (a device, a pipe, a folder) is refused rather than replaced.
 */
public final class AtomicFiles {
    private static final System.Logger LOG = System.getLogger("clip4j");

    static final java.time.Duration STALE_AFTER = java.time.Duration.ofMinutes(1);
    private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile("\\..+\\.(\\d+)\\.\\d+\\.tmp");
    private static final java.util.Set<Path> CLEANED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private AtomicFiles() {
    }

    public interface Body {
        void write(Path tmp) throws IOException;
    }

    public static void write(Path target, Body body) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            if (Files.exists(abs) && !Files.isRegularFile(abs)) {
                throw new ClipException("refusing to write " + target + ": it exists and is not a regular file");
            }
            Files.createDirectories(dir);
            if (CLEANED.add(dir)) removeStale(dir);
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + "." + ProcessHandle.current().pid() + ".", ".tmp");
            body.write(tmp);
            setReadable(tmp);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new ClipException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the original error is what the user needs to see
                }
            }
        }
    }

    /** Deletes the temporaries in dir whose writing process is gone and which have not changed lately, and says so. */
    static void removeStale(Path dir) throws IOException {
        long before = System.currentTimeMillis() - STALE_AFTER.toMillis();
        try (var s = Files.newDirectoryStream(dir, p -> TEMPORARY.matcher(p.getFileName().toString()).matches())) {
            for (Path p : s) {
                java.util.regex.Matcher m = TEMPORARY.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                if (Files.getLastModifiedTime(p).toMillis() > before) continue;
                Files.deleteIfExists(p);
                LOG.log(System.Logger.Level.DEBUG, "removed " + p + ", left by an interrupted write");
            }
        }
    }

    /** createTempFile makes owner-only files; outputs get the usual rw-r--r--. */
    private static void setReadable(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep the defaults
        }
    }

    public static void writeString(Path target, String text) {
        write(target, tmp -> Files.writeString(tmp, text));
    }
}
