package clip4j.image;

import clip4j.ClipException;

import java.nio.file.Path;

/**
 * OpenAI's eval transform (upstream clip/clip.py {@code _transform}; docs/preprocessing.md): Resize(S, bicubic,
 * shortest side) in the image's own mode → CenterCrop(S) with torchvision's round-half-even offsets
 * (docs/preprocessing.md#center-crop) → convert("RGB") → ToTensor → Normalize.
 * RGBA and LA are resized premultiplied and the alpha is then dropped, P resizes nearest and expands the palette after
 * the crop (docs/preprocessing.md#image-modes), CMYK resizes as four channels and converts with Pillow's
 * {@code cmyk2rgb}, I (16-bit greyscale PNG) resizes on the 32-bit path and converts with Pillow's {@code i2rgb}, which
 * clamps to 0–255.
 */
public final class Preprocessor {
    private final int size;
    private final float[] mean;
    private final float[] std;

    public Preprocessor(int size, float[] mean, float[] std) {
        this.size = size;
        this.mean = mean.clone();
        this.std = std.clone();
    }

    public int size() {
        return size;
    }

    /** The normalised CHW float tensor [3, S, S] of an image file. */
    public float[] preprocess(Path image) {
        return preprocess(ImageDecoder.decode(image));
    }

    /** The normalised CHW float tensor [3, S, S] of a decoded image. */
    public float[] preprocess(RawImage image) {
        return normalize(toRgb(image));
    }

    /** torchvision's output size for Resize(S): shortest side S, long side int(S·long/short). */
    public static int[] resizedSize(int w, int h, int s) {
        long[] r = resizedSizeLong(w, h, s);
        return new int[]{Math.toIntExact(r[0]), Math.toIntExact(r[1])};
    }

    static long[] resizedSizeLong(int w, int h, int s) {
        if (w <= h) return new long[]{s, (long) ((double) ((long) s * h) / w)};
        return new long[]{(long) ((double) ((long) s * w) / h), s};
    }

    /**
     * Resize, crop and convert to RGB: the uint8 HWC [S, S, 3] pixels that ToTensor sees. Only the crop window of the
     * resize is computed (the same pixels), so a 9500×1 image costs what a 224×224 one does, not a 2,128,000×224 resize.
     */
    public byte[] toRgb(RawImage img) {
        long[] ns = resizedSizeLong(img.width(), img.height(), size);
        if (ns[0] > Integer.MAX_VALUE || ns[1] > Integer.MAX_VALUE) {
            throw new ClipException("image of " + img.width() + "x" + img.height() + " has an aspect ratio too extreme to resize to "
                    + size + " on its short side (the long side would exceed " + Integer.MAX_VALUE + " pixels)");
        }
        int ow = (int) ns[0], oh = (int) ns[1];
        PillowResize.Window win = new PillowResize.Window((int) Math.rint((ow - size) / 2.0), (int) Math.rint((oh - size) / 2.0), size, size);
        return toRgbMode(new RawImage(img.mode(), size, size, resize(img, ow, oh, win), img.palette())).data();
    }

    /** Image.resize(BICUBIC) in the image's own mode (NEAREST for P, premultiplied for RGBA and LA), in the window only. */
    static byte[] resize(RawImage img, int ow, int oh, PillowResize.Window win) {
        int c = img.mode().channels, w = img.width(), h = img.height();
        byte[] px = img.data();
        if (ow == w && oh == h) {
            int bytes = c * img.mode().bytesPerSample;
            byte[] crop = new byte[win.width() * win.height() * bytes];
            for (int y = 0; y < win.height(); y++) {
                System.arraycopy(px, ((win.y() + y) * w + win.x()) * bytes, crop, y * win.width() * bytes, win.width() * bytes);
            }
            return crop;
        }
        return switch (img.mode()) {
            case P -> PillowResize.nearest(px, w, h, c, ow, oh, win);
            case RGBA, LA -> unpremultiply(PillowResize.bicubic(premultiply(px, c), w, h, c, ow, oh, win), c);
            case RGB, L, CMYK -> PillowResize.bicubic(px, w, h, c, ow, oh, win);
            case I -> {
                int[] v = new int[w * h];
                for (int i = 0; i < v.length; i++) v[i] = (px[2 * i] & 0xff) << 8 | (px[2 * i + 1] & 0xff);
                int[] r = PillowResize.bicubicInt32(v, w, h, ow, oh, win);
                byte[] b = new byte[r.length * 2];
                // a bicubic overshoot outside 0..65535 only matters as "below 0" or "above 255" to i2rgb: clamp to 16 bits
                for (int i = 0; i < r.length; i++) {
                    int x = Math.clamp(r[i], 0, 65535);
                    b[2 * i] = (byte) (x >> 8);
                    b[2 * i + 1] = (byte) x;
                }
                yield b;
            }
        };
    }

    /**
     * convert("RGB") of the whole image: grey replicated, alpha dropped, palette expanded, CMYK as Pillow's cmyk2rgb
     * (c' = (255 − k) − MULDIV255(c, 255 − k)), I clamped to 0–255 as Pillow's i2rgb.
     */
    public static RawImage toRgbMode(RawImage img) {
        if (img.mode() == RawImage.Mode.RGB) return img;
        int n = img.width() * img.height();
        int c = img.mode().channels;
        byte[] d = img.data();
        byte[] rgb = new byte[n * 3];
        for (int i = 0; i < n; i++) {
            switch (img.mode()) {
                case RGBA -> System.arraycopy(d, i * c, rgb, i * 3, 3);
                case L, LA -> rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = d[i * c];
                case P -> {
                    int p = img.palette()[d[i] & 0xff];
                    rgb[i * 3] = (byte) (p >> 16);
                    rgb[i * 3 + 1] = (byte) (p >> 8);
                    rgb[i * 3 + 2] = (byte) p;
                }
                case CMYK -> {
                    int nk = 255 - (d[i * 4 + 3] & 0xff);
                    for (int ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = (byte) Math.clamp(nk - mulDiv255(d[i * 4 + ch] & 0xff, nk), 0, 255);
                }
                case I -> {
                    int v = (d[2 * i] & 0xff) << 8 | (d[2 * i + 1] & 0xff);
                    rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = (byte) Math.min(v, 255);
                }
                case RGB -> throw new IllegalStateException();
            }
        }
        return new RawImage(RawImage.Mode.RGB, img.width(), img.height(), rgb, null);
    }

    /** Pillow's MULDIV255(a, b): t = a·b + 128, ((t >> 8) + t) >> 8, the rounded a·b/255. */
    static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /** ToTensor (u8 / 255 in float32) then Normalize ((x − mean) / std in float32), HWC → CHW. */
    public float[] normalize(byte[] rgb) {
        int n = size * size;
        float[] out = new float[3 * n];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < 3; ch++) {
                float v = (rgb[i * 3 + ch] & 0xff) / 255f;
                out[ch * n + i] = (v - mean[ch]) / std[ch];
            }
        }
        return out;
    }

    /** Pillow's RGBA→RGBa: c' = MULDIV255(c, a) with MULDIV255(x, y) = ((t >> 8) + t) >> 8, t = x·y + 128. */
    static byte[] premultiply(byte[] px, int c) {
        byte[] out = px.clone();
        for (int i = 0; i < px.length; i += c) {
            int a = px[i + c - 1] & 0xff;
            for (int ch = 0; ch < c - 1; ch++) out[i + ch] = (byte) mulDiv255(px[i + ch] & 0xff, a);
        }
        return out;
    }

    /** Pillow's RGBa→RGBA: alpha 0 or 255 kept as is, else clamp(255·c' / a) with integer division. */
    static byte[] unpremultiply(byte[] px, int c) {
        for (int i = 0; i < px.length; i += c) {
            int a = px[i + c - 1] & 0xff;
            if (a == 0 || a == 255) continue;
            for (int ch = 0; ch < c - 1; ch++) px[i + ch] = (byte) Math.min(255, (255 * (px[i + ch] & 0xff)) / a);
        }
        return px;
    }
}
