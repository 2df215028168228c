package clip4j.io;

import clip4j.ClipException;
import clip4j.util.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Outputs are written to a temporary sibling and renamed into place, so a failure never leaves half a file. The
 * temporary's name carries the writing process's id ({@code .NAME.PID.RANDOM.tmp}): one left by a process that no longer
 * runs (killed mid-write) is removed by the next write of the same output. An output that exists and is not a regular
 * file (a device, a pipe, a folder) is refused rather than replaced.
 */
public final class AtomicFiles {
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
            removeStale(dir, abs.getFileName().toString());
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

    /** Deletes temporaries of this output whose writing process is gone, and says so. */
    private static void removeStale(Path dir, String name) throws IOException {
        String prefix = "." + name + ".";
        try (var s = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(".tmp");
        })) {
            for (Path p : s) {
                String rest = p.getFileName().toString().substring(prefix.length());
                int dot = rest.indexOf('.');
                long pid;
                try {
                    pid = Long.parseLong(dot < 0 ? "" : rest.substring(0, dot));
                } catch (NumberFormatException e) {
                    continue; // not our naming
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                Files.deleteIfExists(p);
                Log.info("removed " + p + ", left by an interrupted write of " + name);
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
