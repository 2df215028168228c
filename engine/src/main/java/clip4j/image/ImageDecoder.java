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
    /** The largest decoded raster read (100 MP of 8-bit RGBA; see {@link #checkCost}). */
    public static final long MAX_DECODED_BYTES = 400L << 20;
    /** The most scans a JPEG may have (see {@link #checkCost}). */
    public static final int MAX_JPEG_SCANS = 100;

    private ImageDecoder() {
    }

    public static RawImage decode(Path path) {
        if (!Files.isRegularFile(path)) throw new ClipException("image not found: " + path);
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            return decode(in, path.toString(), Files.size(path));
        } catch (IOException e) {
            throw new ClipException("cannot open image " + path + ": " + e.getMessage(), e);
        }
    }

    /** An image held in memory (a member of a tar shard, an upload), named in errors as name. */
    public static RawImage decode(byte[] data, String name) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(data))) {
            return decode(in, name, data.length);
        } catch (IOException e) {
            throw new ClipException("cannot read image " + name + ": " + e.getMessage(), e);
        }
    }

    /** @param length the encoded image's bytes */
    private static RawImage decode(ImageInputStream in, String path, long length) {
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
                checkCost(in, reader, w, h, path, length);
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

    /**
     * What a header can make a decoder spend besides its pixel count, refused before decoding: a decoded raster over
     * {@link #MAX_DECODED_BYTES} (100 MP of 16-bit RGBA would be 800 MB); a JPEG of more than {@link #MAX_JPEG_SCANS}
     * scans (a progressive JPEG has about 10; each scan is a pass over the whole image, so a few MB of repeated scans
     * would take minutes); a TIFF whose strips or tiles claim more bytes than the file holds (the reader allocates
     * what they claim: 2 GB for a 154-byte file).
     */
    private static void checkCost(ImageInputStream in, ImageReader reader, long w, long h, String path, long length) throws IOException {
        javax.imageio.ImageTypeSpecifier type = reader.getRawImageType(0);
        if (type != null) {
            java.awt.image.SampleModel sm = type.getSampleModel(1, 1);
            long bits = 0;
            for (int b = 0; b < sm.getNumBands(); b++) bits += sm.getSampleSize(b);
            if (w * h * bits / 8 > MAX_DECODED_BYTES) {
                throw new ClipException("image " + path + " would decode to " + (w * h * bits / 8 >> 20) + " MB, over the " + (MAX_DECODED_BYTES >> 20) + " MB limit");
            }
        }
        String format = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
        long start = in.getStreamPosition();
        if (format.equals("jpeg")) {
            // FF DA starts a scan; inside entropy-coded data an FF is always followed by 00 or a restart marker. Read in
            // blocks: a file's stream reads a byte at a time from the file itself
            in.seek(0);
            byte[] block = new byte[1 << 16];
            int scans = 0;
            boolean ff = false;
            for (int n; (n = in.read(block)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (ff && block[i] == (byte) 0xDA && ++scans > MAX_JPEG_SCANS) {
                        throw new ClipException("JPEG " + path + " has more than " + MAX_JPEG_SCANS + " scans (a decoder would pass over the image for each)");
                    }
                    ff = block[i] == (byte) 0xFF;
                }
            }
            in.seek(start);
        } else if (format.equals("tif") || format.equals("tiff")) {
            javax.imageio.metadata.IIOMetadata meta = reader.getImageMetadata(0);
            javax.imageio.plugins.tiff.TIFFDirectory dir = javax.imageio.plugins.tiff.TIFFDirectory.createFromMetadata(meta);
            for (int tag : new int[]{279, 325}) { // StripByteCounts, TileByteCounts
                javax.imageio.plugins.tiff.TIFFField f = dir.getTIFFField(tag);
                if (f == null) continue;
                long total = 0;
                for (int i = 0; i < f.getCount(); i++) total += f.getAsLong(i);
                if (total < 0 || total > length) {
                    throw new ClipException("TIFF " + path + " claims " + total + " bytes of image data in a file of " + length);
                }
            }
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
