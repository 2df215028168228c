package clip4j.image;

/**
 * Decoded 8-bit pixels in a Pillow mode (clip-spec §8.4), interleaved row-major. For {@link Mode#P} the samples
 * are palette indices and {@code palette} holds 0xRRGGBB entries.
 */
public record RawImage(Mode mode, int width, int height, byte[] data, int[] palette) {
    public enum Mode {
        RGB(3), L(1), RGBA(4), LA(2), P(1);

        public final int channels;

        Mode(int channels) {
            this.channels = channels;
        }
    }

    public RawImage {
        if ((long) width * height * mode.channels != data.length) throw new IllegalArgumentException("pixel buffer size");
        if ((mode == Mode.P) != (palette != null)) throw new IllegalArgumentException("palette only for mode P");
    }

    public int sample(int x, int y, int c) {
        return data[(y * width + x) * mode.channels + c] & 0xff;
    }
}
