package clip4j.data;

import clip4j.image.RawImage;
import clip4j.io.Hashing;

/** An image held in memory (IDX datasets, generated images); hashed over mode, size and pixels. */
public final class PixelItem implements ImageItem {
    private final String id;
    private final int label;
    private final RawImage image;
    private String hash;

    public PixelItem(String id, int label, RawImage image) {
        this.id = id;
        this.label = label;
        this.image = image;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int label() {
        return label;
    }

    @Override
    public RawImage load() {
        return image;
    }

    @Override
    public synchronized String contentHash() {
        if (hash == null) {
            var md = Hashing.sha256();
            md.update((image.mode() + ":" + image.width() + "x" + image.height() + ":").getBytes());
            md.update(image.data());
            hash = Hashing.hex(md.digest());
        }
        return hash;
    }
}
