package clip4j.cli;

import clip4j.ClipException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Expands the positional arguments of the batch commands: {@code @FILE} is one entry per line of FILE (blank lines
 * skipped; no quoting, so paths may hold spaces), {@code -} one entry per line of stdin, and for images a directory is
 * every image file under it (recursively, sorted, symbolic links followed, loops and unreadable folders skipped with a
 * warning). Anything else is taken as it is.
 */
final class InputArgs {
    /** File name extensions of the images the decoder reads (ImageIO built-ins plus the CLI's WebP plugin). */
    static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "jpe", "jfif", "bmp", "gif", "tif", "tiff", "webp", "wbmp");

    private InputArgs() {
    }

    /** Texts: @FILE and - give one text per line, anything else is one text. */
    static List<String> texts(List<String> args) {
        List<String> out = new ArrayList<>();
        for (String a : args) {
            List<String> lines = lines(a);
            if (lines == null) out.add(a);
            else out.addAll(lines);
        }
        return out;
    }

    /** Image paths: @FILE and - give one path per line, a directory its image files, anything else one path. */
    static List<Path> images(List<String> args) {
        List<Path> out = new ArrayList<>();
        for (String a : args) {
            List<String> lines = lines(a);
            for (String p : lines == null ? List.of(a) : lines) {
                Path path = Path.of(p);
                if (Files.isDirectory(path)) out.addAll(imagesUnder(path));
                else out.add(path);
            }
        }
        return out;
    }

    /** The lines of "@FILE" or "-" (stdin), without blank ones; null for any other argument. */
    private static List<String> lines(String arg) {
        if (!arg.equals("-") && !(arg.startsWith("@") && arg.length() > 1)) return null;
        try (BufferedReader r = arg.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(arg.substring(1)), StandardCharsets.UTF_8)) {
            List<String> out = new ArrayList<>();
            for (String l; (l = r.readLine()) != null; ) if (!l.isBlank()) out.add(l);
            return out;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ClipException("argument file not found: " + arg.substring(1));
        } catch (IOException e) {
            throw new ClipException("cannot read " + (arg.equals("-") ? "stdin" : arg.substring(1)) + ": " + e.getMessage(), e);
        }
    }

    static boolean isImageName(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    static List<Path> imagesUnder(Path dir) {
        List<Path> out = new ArrayList<>();
        try {
            Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && isImageName(file)) out.add(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    Log.warn(e instanceof FileSystemLoopException ? "skipping " + file + ": a symbolic link loops back to a folder above it"
                            : "skipping " + file + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new ClipException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        out.sort(null);
        if (out.isEmpty()) Log.warn("no image files (" + String.join(", ", IMAGE_EXTENSIONS.stream().sorted().toList()) + ") under " + dir);
        return out;
    }
}
