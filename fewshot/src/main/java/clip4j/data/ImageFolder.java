package clip4j.data;

import clip4j.ClipException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * root/&lt;class&gt;/*.png|jpg|jpeg|bmp|gif: class order = sorted folder names, class name = folder name with '_' as
 * space, unless a class-names file (one per line, in folder order) overrides them. Empty class folders are errors.
 */
public final class ImageFolder {
    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    private ImageFolder() {
    }

    public static Dataset load(Path root, Path classNamesFile) {
        if (!Files.isDirectory(root)) throw new ClipException("dataset folder not found: " + root);
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(root)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new ClipException("cannot list " + root + ": " + e.getMessage(), e);
        }
        if (classDirs.isEmpty()) throw new ClipException(root + " has no class folders");
        List<String> names = new ArrayList<>();
        for (Path d : classDirs) names.add(d.getFileName().toString().replace('_', ' '));
        if (classNamesFile != null) {
            try {
                List<String> override = Files.readAllLines(classNamesFile).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
                if (override.size() != names.size()) {
                    throw new ClipException(classNamesFile + " has " + override.size() + " names for " + names.size() + " class folders");
                }
                names = override;
            } catch (IOException e) {
                throw new ClipException("cannot read " + classNamesFile + ": " + e.getMessage(), e);
            }
        }
        List<ImageItem> items = new ArrayList<>();
        for (int c = 0; c < classDirs.size(); c++) {
            List<Path> files;
            try (Stream<Path> s = Files.list(classDirs.get(c))) {
                files = s.filter(p -> Files.isRegularFile(p) && isImage(p)).sorted().toList();
            } catch (IOException e) {
                throw new ClipException("cannot list " + classDirs.get(c) + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) throw new ClipException("class folder " + classDirs.get(c) + " has no images");
            for (Path f : files) items.add(new FileImageItem(f, c));
        }
        return new Dataset(root.getFileName().toString(), names, items);
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(n::endsWith);
    }
}
