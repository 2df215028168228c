package clip4j.data;

import clip4j.ClipException;
import clip4j.image.RawImage;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from its IDX files (Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist):
 * 28×28 greyscale images, 60,000 train and 10,000 test, 10 classes.
 */
public final class FashionMnist {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnist() {
    }

    public static boolean available(Path dir) {
        return Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz"));
    }

    /** @param split "train" or "test" */
    public static Dataset load(Path dir, String split) {
        String prefix = split.equals("train") ? "train" : "t10k";
        byte[][] images = readImages(dir.resolve(prefix + "-images-idx3-ubyte.gz"));
        byte[] labels = readLabels(dir.resolve(prefix + "-labels-idx1-ubyte.gz"));
        if (images.length != labels.length) throw new ClipException("Fashion-MNIST " + split + ": image and label counts differ");
        List<ImageItem> items = new ArrayList<>(images.length);
        for (int i = 0; i < images.length; i++) {
            int label = labels[i] & 0xff;
            if (label >= CLASSES.size()) throw new ClipException("Fashion-MNIST label " + label + " out of range");
            items.add(new PixelItem("fashion-mnist:" + split + ":" + i, label, new RawImage(RawImage.Mode.L, 28, 28, images[i], null)));
        }
        return new Dataset("fashion-mnist-" + split, CLASSES, items);
    }

    private static DataInputStream open(Path p) throws IOException {
        if (!Files.isRegularFile(p)) throw new ClipException("Fashion-MNIST file not found: " + p + " (apt-get install dataset-fashion-mnist)");
        InputStream in = Files.newInputStream(p);
        return new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(in)));
    }

    private static byte[][] readImages(Path p) {
        try (DataInputStream in = open(p)) {
            if (in.readInt() != 0x00000803) throw new ClipException(p + ": not an IDX image file");
            int n = in.readInt(), rows = in.readInt(), cols = in.readInt();
            if (rows != 28 || cols != 28 || n < 0 || n > 1_000_000) throw new ClipException(p + ": unexpected IDX shape");
            byte[][] out = new byte[n][28 * 28];
            for (byte[] img : out) in.readFully(img);
            return out;
        } catch (IOException e) {
            throw new ClipException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readLabels(Path p) {
        try (DataInputStream in = open(p)) {
            if (in.readInt() != 0x00000801) throw new ClipException(p + ": not an IDX label file");
            int n = in.readInt();
            if (n < 0 || n > 1_000_000) throw new ClipException(p + ": unexpected IDX size");
            byte[] out = new byte[n];
            in.readFully(out);
            return out;
        } catch (IOException e) {
            throw new ClipException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
