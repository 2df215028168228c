package clip4j.image;

import clip4j.ClipException;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes images with ImageIO into the Pillow mode the file would open as (docs/preprocessing.md#image-modes,
 * #decoding): RGB, L, RGBA, LA,
 * P (palette; also 1-bit images, which Pillow resizes the same nearest way), CMYK (CMYK and YCCK JPEGs; the JDK's
 * reader returns the same ink values as Pillow's "CMYK;I" unpacking), or I (16-bit greyscale PNG). 16-bit RGB(A) and
 * LA keep their high byte, as Pillow's ";16B" unpackers do. Formats: PNG, JPEG, BMP, GIF, TIFF and WBMP from the JDK,
 * and any other format an ImageIO plugin on the class path reads (the CLI adds WebP). The size is read from the
 * header and anything over {@link #MAX_PIXELS} is refused before any pixel is decoded.
 */
public final class ImageDecoder {
    public static final long MAX_PIXELS = 100_000_000L;

    private ImageDecoder() {
    }

    public static RawImage decode(Path path) {
        if (!Files.isRegularFile(path)) throw new ClipException("image not found: " + path);
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            return decode(in, path.toString());
        } catch (IOException e) {
            throw new ClipException("cannot open image " + path + ": " + e.getMessage(), e);
        }
    }

    /** An image held in memory (a member of a tar shard, an upload), named in errors as name. */
    public static RawImage decode(byte[] data, String name) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(data))) {
            return decode(in, name);
        } catch (IOException e) {
            throw new ClipException("cannot read image " + name + ": " + e.getMessage(), e);
        }
    }

    private static RawImage decode(ImageInputStream in, String path) {
        try {
            if (in == null) throw new ClipException("cannot open image " + path);
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new ClipException("not an image this build reads (" + formats() + "): " + path);
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                // the JDK's JPEG reader reports a file cut short (and pads it with grey) only as a warning; Pillow refuses
                // it ("image file is truncated"), so do we. Other libjpeg warnings (extraneous bytes) Pillow accepts.
                String[] warning = new String[1];
                reader.addIIOReadWarningListener((source, message) -> {
                    // "Truncated File - Missing EOI marker" (the JDK) or libjpeg's "Premature end of JPEG file"; not the
                    // "premature end of data segment" of a damaged scan in a complete file, which Pillow decodes
                    if (warning[0] == null && (message.startsWith("Truncated File") || message.startsWith("Premature end of JPEG file"))) {
                        warning[0] = message;
                    }
                });
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0) throw new ClipException("image has no pixels: " + path);
                if (w * h > MAX_PIXELS) {
                    throw new ClipException("image " + path + " is " + w + "x" + h + ", over the " + MAX_PIXELS / 1_000_000 + " megapixel limit");
                }
                BufferedImage img = reader.read(0);
                if (warning[0] != null) throw new ClipException("corrupt or truncated image " + path + ": " + warning[0]);
                return fromBuffered(img, reader.getFormatName(), path);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ClipException ce) throw ce;
            throw new ClipException("corrupt or unsupported image " + path + ": " + e.getMessage(), e);
        }
    }

    /** The image formats ImageIO can read here, by their usual names. */
    static String formats() {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (String f : ImageIO.getReaderFormatNames()) names.add(f.toUpperCase(java.util.Locale.ROOT));
        names.retainAll(java.util.Set.of("PNG", "JPEG", "BMP", "GIF", "TIFF", "WBMP", "WEBP"));
        return String.join(", ", names);
    }

    static RawImage fromBuffered(BufferedImage img, String format, String path) {
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
        boolean cmyk = cm.getColorSpace().getType() == ColorSpace.TYPE_CMYK;
        RawImage.Mode mode = switch (bands) {
            case 1 -> RawImage.Mode.L;
            case 2 -> RawImage.Mode.LA;
            case 3 -> RawImage.Mode.RGB;
            case 4 -> alpha ? RawImage.Mode.RGBA : cmyk ? RawImage.Mode.CMYK : null;
            default -> null;
        };
        if (mode == null || (mode == RawImage.Mode.L || mode == RawImage.Mode.RGB || mode == RawImage.Mode.CMYK) == alpha) {
            throw new ClipException("unsupported image layout in " + path + ": " + bands + " channels" + (alpha ? " with" : " without")
                    + " alpha (readable: grey, grey + alpha, RGB, RGBA, palette, CMYK)");
        }
        if (cm.isAlphaPremultiplied()) throw new ClipException("premultiplied-alpha images are not supported: " + path);
        int type = r.getDataBuffer().getDataType();
        boolean sixteen = type == DataBuffer.TYPE_USHORT;
        if (type != DataBuffer.TYPE_BYTE && type != DataBuffer.TYPE_INT && !sixteen) {
            throw new ClipException("unsupported sample type in " + path + " (8 or 16 bits per channel are read)");
        }
        for (int b = 0; b < bands; b++) {
            int bits = r.getSampleModel().getSampleSize(b);
            if (sixteen ? bits != 16 : bits != 8) throw new ClipException("unsupported sample depth (" + bits + " bits) in " + path);
        }
        if (sixteen && mode == RawImage.Mode.L) {
            // Pillow opens a 16-bit greyscale PNG as mode I; other 16-bit grey formats open differently, so refuse them
            if (!"png".equalsIgnoreCase(format)) throw new ClipException("16-bit greyscale " + format + " images are not supported: " + path);
            byte[] v = new byte[w * h * 2];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    v[(y * w + x) * 2] = (byte) (row[x] >> 8);
                    v[(y * w + x) * 2 + 1] = (byte) row[x];
                }
            }
            return new RawImage(RawImage.Mode.I, w, h, v, null);
        }
        int shift = sixteen ? 8 : 0; // Pillow keeps the high byte of 16-bit RGB(A) and LA
        byte[] data = new byte[w * h * bands];
        // a row of samples at a time (pixel-interleaved, as RawImage holds them): the raster's per-pixel accessor cost
        // a quarter of a 1024x768 JPEG's decode
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            r.getPixels(0, y, w, 1, row);
            int o = y * w * bands;
            for (int i = 0; i < row.length; i++) data[o + i] = (byte) (row[i] >> shift);
        }
        return new RawImage(mode, w, h, data, null);
    }
}
