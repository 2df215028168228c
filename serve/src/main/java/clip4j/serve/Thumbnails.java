package clip4j.serve;

import clip4j.collection.Index;
import clip4j.collection.Inputs;
import clip4j.image.PillowResize;
import clip4j.image.Preprocessor;
import clip4j.image.RawImage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Small JPEG previews of an index's images for the search page: the row's image read again from its file or tar
 * shard, decoded under the decoder's limits, shrunk (Pillow's bicubic) to at most {@link #SIZE} pixels a side.
 * Only rows of the loaded index can be asked for, never a path. The most recent previews are kept.
 */
final class Thumbnails {
    static final int SIZE = 192;
    private static final int KEPT = 512;

    private final Index index;
    private final Decoding decoding;
    private final Recent<Long, byte[]> recent = new Recent<>(KEPT);

    Thumbnails(Index index, Decoding decoding) {
        this.index = index;
        this.decoding = decoding;
    }

    /**
     * The preview of a row (0 ≤ row < index size), as JPEG bytes, decoded on the upload decoders' threads within
     * timeout; a ClipException with one line if it cannot be read.
     */
    byte[] of(long row, Duration timeout) throws Batcher.Rejected, TimeoutException, InterruptedException {
        byte[] kept = recent.get(row);
        if (kept != null) return kept;
        var item = index.item(row);
        byte[] jpeg = render(decoding.decode(Inputs.read(item), item.key(), timeout));
        recent.put(row, jpeg);
        return jpeg;
    }

    static byte[] render(RawImage image) {
        RawImage rgb = Preprocessor.toRgbMode(image);
        int w = rgb.width(), h = rgb.height();
        double scale = Math.min(1.0, (double) SIZE / Math.max(w, h));
        int ow = Math.max(1, (int) Math.round(w * scale)), oh = Math.max(1, (int) Math.round(h * scale));
        byte[] px = scale == 1.0 ? rgb.data() : PillowResize.bicubic(rgb.data(), w, h, 3, ow, oh);
        BufferedImage out = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
        int[] argb = new int[ow * oh];
        for (int i = 0; i < argb.length; i++) {
            argb[i] = (px[3 * i] & 0xff) << 16 | (px[3 * i + 1] & 0xff) << 8 | (px[3 * i + 2] & 0xff);
        }
        out.setRGB(0, 0, ow, oh, argb, 0, ow);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ImageIO.write(out, "jpeg", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
