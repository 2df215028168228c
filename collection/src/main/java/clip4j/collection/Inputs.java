package clip4j.collection;

import clip4j.ClipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The images of a collection as a stream of {@link Item}s, in an order that depends only on the inputs: a folder
 * walked depth first with each folder's entries sorted by name (symbolic links followed, a link back to a folder
 * being walked skipped with a warning, an unreadable folder skipped with a warning), image files by extension; a
 * .tar shard (webdataset) member by member in archive order, its image members read into memory (other members,
 * such as a sample's .txt or .json, ignored); an image file named directly; any other file a list of paths, one per
 * line. Holds one folder listing per level and one member at a time, whatever the collection's size.
 */
public final class Inputs extends ChainedItems {
    static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff");
    /** A tar member larger than this is recorded as failed without being read (a photo is a few MB; the images in flight stay bounded). */
    static final long MAX_MEMBER_BYTES = 64L << 20;

    private final Consumer<String> warnings;

    /** @param warnings told, one line each, what was skipped that is not an image (a folder, a link loop, a tar's tail) */
    public Inputs(List<String> inputs, Consumer<String> warnings) {
        super(inputs);
        this.warnings = warnings;
    }

    static boolean isImage(String name) {
        int dot = name.lastIndexOf('.');
        return dot >= 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * The bytes of an image a metadata row names, read again from where it was embedded: the file (a relative key
     * against the working directory), or the tar shard's member. Refused with one line: a text row, a row that
     * failed, a file over the tar member limit, one that is gone.
     */
    public static byte[] read(MetadataFile.Row row) {
        if (row.error() != null) throw new ClipException(row.key() + " was not embedded: " + row.error());
        if (row.text() != null) throw new ClipException(row.key() + " is a text, not an image");
        try {
            if (row.source() == null) {
                Path p = Path.of(row.key());
                if (Files.size(p) > MAX_MEMBER_BYTES) throw new ClipException(row.key() + " is over " + (MAX_MEMBER_BYTES >> 20) + " MB");
                return Files.readAllBytes(p);
            }
            try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(Path.of(row.source())), 1 << 16))) {
                for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                    if (e.isFile() && e.getName().equals(row.key()) && e.getSize() <= MAX_MEMBER_BYTES) return in.readAllBytes();
                }
            }
            throw new ClipException(row.key() + " is no longer in " + row.source());
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new ClipException("cannot read " + row.key() + ": " + e.getMessage(), e);
        }
    }

    @Override
    Iterator<Item> open(String input) {
        Path p = Path.of(input);
        if (Files.isDirectory(p)) return new Walk(p);
        if (!Files.exists(p)) throw new ClipException("input not found: " + input);
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".tar")) return tar(p);
        if (isImage(name)) return List.of(Item.file(p)).iterator();
        return list(p);
    }

    private Iterator<Item> list(Path file) {
        try {
            BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            opened = r;
            return r.lines().filter(l -> !l.isBlank()).map(Inputs::listed).iterator();
        } catch (IOException e) {
            throw new ClipException("cannot read the list of images " + file + ": " + e.getMessage(), e);
        }
    }

    private static Item listed(String line) {
        try {
            return Item.file(Path.of(line.strip()));
        } catch (java.nio.file.InvalidPathException e) {
            return Item.failed(line.strip(), null, "not a path: " + e.getMessage());
        }
    }

    private Iterator<Item> tar(Path file) {
        TarArchiveInputStream in;
        try {
            in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
        } catch (IOException e) {
            throw new ClipException("cannot open tar shard " + file + ": " + e.getMessage(), e);
        }
        opened = in;
        String source = file.toString();
        return new Advancing<>() {
            @Override
            Item advance() {
                try {
                    for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                        if (!e.isFile() || !isImage(e.getName())) continue;
                        return e.getSize() > MAX_MEMBER_BYTES
                                ? Item.failed(e.getName(), source, "tar member of " + e.getSize() + " bytes, over the " + (MAX_MEMBER_BYTES >> 20) + " MB limit")
                                : Item.member(source, e.getName(), in.readAllBytes());
                    }
                } catch (IOException | RuntimeException e) {
                    // a damaged header or a file cut short: what came before it stands, the rest of the shard is lost
                    warnings.accept("tar shard " + source + " is damaged, the rest of it is skipped: " + e.getMessage());
                }
                return null;
            }
        };
    }

    /** Depth first, entries sorted by name, following links but never into a folder already on the path walked. */
    private final class Walk extends Advancing<Item> {
        private record Level(Path real, Iterator<Path> entries) {
        }

        private final Deque<Level> stack = new ArrayDeque<>();

        Walk(Path root) {
            enter(root);
        }

        private void enter(Path dir) {
            Path real;
            try {
                real = dir.toRealPath();
            } catch (IOException e) {
                warnings.accept("cannot read folder " + dir + ": " + e.getMessage());
                return;
            }
            for (Level l : stack) {
                if (l.real.equals(real)) {
                    warnings.accept("skipped " + dir + ": a link back to " + real + ", which is being walked");
                    return;
                }
            }
            List<Path> entries;
            try (Stream<Path> s = Files.list(dir)) {
                entries = new ArrayList<>(s.toList());
            } catch (IOException | java.io.UncheckedIOException e) {
                warnings.accept("cannot read folder " + dir + ": " + e.getMessage());
                return;
            }
            entries.sort(null);
            stack.push(new Level(real, entries.iterator()));
        }

        @Override
        Item advance() {
            while (!stack.isEmpty()) {
                Iterator<Path> it = stack.peek().entries;
                if (!it.hasNext()) {
                    stack.pop();
                    continue;
                }
                Path p = it.next();
                if (Files.isDirectory(p)) enter(p);
                else if (isImage(p.getFileName().toString())) return Item.file(p);
            }
            return null;
        }
    }
}
