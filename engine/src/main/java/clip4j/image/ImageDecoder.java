package clip4j.image;

import clip4j.ClipException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Decodes PNG, JPEG, BMP and GIF with ImageIO into the Pillow mode the file would open as (clip-spec §8.4–§8.5):
 * RGB, L, RGBA, LA, or P (palette; also 1-bit images, which Pillow resizes the same nearest way). The size is
 * read from the header and anything over {@link #MAX_PIXELS} is refused before any pixel is decoded.
 */
public final class ImageDecoder {
    public static final long MAX_PIXELS = 100_000_000L;

    private ImageDecoder() {
    }

    public static RawImage decode(Path path) {
        if (!Files.isRegularFile(path)) throw new ClipException("image not found: " + path);
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            if (in == null) throw new ClipException("cannot open image " + path);
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new ClipException("not a readable image (PNG, JPEG, BMP or GIF): " + path);
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0) throw new ClipException("image has no pixels: " + path);
                if (w * h > MAX_PIXELS) {
                    throw new ClipException("image " + path + " is " + w + "x" + h + ", over the " + MAX_PIXELS / 1_000_000 + " megapixel limit");
                }
                return fromBuffered(reader.read(0), path);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ClipException ce) throw ce;
            throw new ClipException("corrupt or unsupported image " + path + ": " + e.getMessage(), e);
        }
    }

    static RawImage fromBuffered(BufferedImage img, Path path) {
        int w = img.getWidth(), h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            int[] palette = new int[n];
            boolean gray = n > 2;
            for (int i = 0; i < n; i++) {
                palette[i] = icm.getRGB(i) & 0xffffff;
                int red = icm.getRed(i);
                gray &= red == icm.getGreen(i) && red == icm.getBlue(i);
            }
            byte[] idx = new byte[w * h];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) idx[y * w + x] = (byte) r.getSample(x, y, 0);
            if (gray) {
                // Pillow opens grey-ramp palettes (2/4-bit grey PNGs, grey GIFs) as L
                byte[] l = new byte[w * h];
                for (int i = 0; i < l.length; i++) l[i] = (byte) (palette[idx[i] & 0xff] & 0xff);
                return new RawImage(RawImage.Mode.L, w, h, l, null);
            }
            return new RawImage(RawImage.Mode.P, w, h, idx, palette);
        }
        int bands = r.getNumBands();
        boolean alpha = cm.hasAlpha();
        RawImage.Mode mode = switch (bands) {
            case 1 -> RawImage.Mode.L;
            case 2 -> RawImage.Mode.LA;
            case 3 -> RawImage.Mode.RGB;
            case 4 -> alpha ? RawImage.Mode.RGBA : null;
            default -> null;
        };
        if (mode == null || (mode == RawImage.Mode.L || mode == RawImage.Mode.RGB) == alpha) {
            throw new ClipException("unsupported colour layout (" + bands + " bands) in " + path);
        }
        if (cm.isAlphaPremultiplied()) throw new ClipException("premultiplied-alpha images are not supported: " + path);
        int type = r.getDataBuffer().getDataType();
        int shift;
        if (type == DataBuffer.TYPE_BYTE || type == DataBuffer.TYPE_INT) shift = 0;
        else if (type == DataBuffer.TYPE_USHORT && mode != RawImage.Mode.L) shift = 8; // Pillow keeps the high byte of 16-bit RGB(A)
        else throw new ClipException("16-bit greyscale images are not supported: " + path);
        for (int b = 0; b < bands; b++) {
            if (r.getSampleModel().getSampleSize(b) > 16 || (shift == 0 && r.getSampleModel().getSampleSize(b) != 8)) {
                throw new ClipException("unsupported sample depth in " + path);
            }
        }
        byte[] data = new byte[w * h * bands];
        int[] px = new int[bands];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.getPixel(x, y, px);
                for (int b = 0; b < bands; b++) data[(y * w + x) * bands + b] = (byte) (px[b] >> shift);
            }
        }
        return new RawImage(mode, w, h, data, null);
    }
}
