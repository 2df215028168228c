package clip4j.data;

import clip4j.ClipException;
import clip4j.image.ImageDecoder;
import clip4j.image.RawImage;
import clip4j.io.Hashing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** An image file on disk; its content hash is computed lazily, once. */
public final class FileImageItem implements ImageItem {
    private final Path path;
    private final int label;
    private String hash;

    public FileImageItem(Path path, int label) {
        this.path = path;
        this.label = label;
    }

    public Path path() {
        return path;
    }

    @Override
    public String id() {
        return path.toString();
    }

    @Override
    public int label() {
        return label;
    }

    @Override
    public RawImage load() {
        return ImageDecoder.decode(path);
    }

    @Override
    public synchronized String contentHash() {
        if (hash == null) {
            try {
                hash = Hashing.sha256(Files.readAllBytes(path));
            } catch (IOException e) {
                throw new ClipException("cannot read " + path + ": " + e.getMessage(), e);
            }
        }
        return hash;
    }
}
