package clip4j.io;

import clip4j.ClipException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Outputs are written to a temporary sibling and renamed into place, so a failure never leaves half a file. */
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
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
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
