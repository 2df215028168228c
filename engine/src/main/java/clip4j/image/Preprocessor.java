package clip4j.image;

import java.nio.file.Path;

/**
 * OpenAI's eval transform (clip-spec §8.1): Resize(S, bicubic, shortest side) in the image's own mode →
 * CenterCrop(S) with torchvision's round-half-even offsets (§8.3) → convert("RGB") → ToTensor → Normalize.
 * RGBA and LA are resized premultiplied and the alpha is then dropped, P resizes nearest and expands the
 * palette after the crop (§8.4).
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
        return normalize(toRgb(ImageDecoder.decode(image)));
    }

    /** torchvision's output size for Resize(S): shortest side S, long side int(S·long/short). */
    public static int[] resizedSize(int w, int h, int s) {
        if (w <= h) return new int[]{s, (int) ((double) ((long) s * h) / w)};
        return new int[]{(int) ((double) ((long) s * w) / h), s};
    }

    /** Resize, crop and convert to RGB: the uint8 HWC [S, S, 3] pixels that ToTensor sees. */
    public byte[] toRgb(RawImage img) {
        int[] ns = resizedSize(img.width(), img.height(), size);
        int ow = ns[0], oh = ns[1];
        int c = img.mode().channels;
        byte[] px = img.data();
        if (ow != img.width() || oh != img.height()) {
            px = switch (img.mode()) {
                case P -> PillowResize.nearest(px, img.width(), img.height(), c, ow, oh);
                case RGBA, LA -> unpremultiply(PillowResize.bicubic(premultiply(px, c), img.width(), img.height(), c, ow, oh), c);
                case RGB, L -> PillowResize.bicubic(px, img.width(), img.height(), c, ow, oh);
            };
        }
        int top = (int) Math.rint((oh - size) / 2.0);
        int left = (int) Math.rint((ow - size) / 2.0);
        byte[] rgb = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int s = ((top + y) * ow + left + x) * c;
                int d = (y * size + x) * 3;
                switch (img.mode()) {
                    case RGB, RGBA -> {
                        rgb[d] = px[s];
                        rgb[d + 1] = px[s + 1];
                        rgb[d + 2] = px[s + 2];
                    }
                    case L, LA -> {
                        rgb[d] = px[s];
                        rgb[d + 1] = px[s];
                        rgb[d + 2] = px[s];
                    }
                    case P -> {
                        int p = img.palette()[px[s] & 0xff];
                        rgb[d] = (byte) (p >> 16);
                        rgb[d + 1] = (byte) (p >> 8);
                        rgb[d + 2] = (byte) p;
                    }
                }
            }
        }
        return rgb;
    }

    /** convert("RGB") of the whole image: grey replicated, alpha dropped, palette expanded. */
    public static RawImage toRgbMode(RawImage img) {
        if (img.mode() == RawImage.Mode.RGB) return img;
        int n = img.width() * img.height();
        int c = img.mode().channels;
        byte[] rgb = new byte[n * 3];
        for (int i = 0; i < n; i++) {
            switch (img.mode()) {
                case RGBA -> System.arraycopy(img.data(), i * c, rgb, i * 3, 3);
                case L, LA -> rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = img.data()[i * c];
                case P -> {
                    int p = img.palette()[img.data()[i] & 0xff];
                    rgb[i * 3] = (byte) (p >> 16);
                    rgb[i * 3 + 1] = (byte) (p >> 8);
                    rgb[i * 3 + 2] = (byte) p;
                }
                case RGB -> throw new IllegalStateException();
            }
        }
        return new RawImage(RawImage.Mode.RGB, img.width(), img.height(), rgb, null);
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
            for (int ch = 0; ch < c - 1; ch++) {
                int t = (px[i + ch] & 0xff) * a + 128;
                out[i + ch] = (byte) (((t >> 8) + t) >> 8);
            }
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
