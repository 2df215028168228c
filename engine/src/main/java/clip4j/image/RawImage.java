package clip4j.image;

/**
 * Decoded pixels in a Pillow mode (docs/preprocessing.md#image-modes), interleaved row-major, 8 bits a sample except
 * {@link Mode#I}. For
 * {@link Mode#P} the samples are palette indices and {@code palette} holds 0xRRGGBB entries. {@link Mode#CMYK} holds
 * ink amounts as Pillow does (0 = no ink). {@link Mode#I} is Pillow's 32-bit integer mode, in which it opens 16-bit
 * greyscale PNGs: here each sample is 16 bits, big-endian, two bytes.
 */
public record RawImage(Mode mode, int width, int height, byte[] data, int[] palette) {
    public enum Mode {
        RGB(3, 1), L(1, 1), RGBA(4, 1), LA(2, 1), P(1, 1), CMYK(4, 1), I(1, 2);

        public final int channels;
        public final int bytesPerSample;

        Mode(int channels, int bytesPerSample) {
            this.channels = channels;
            this.bytesPerSample = bytesPerSample;
        }
    }

    public RawImage {
        if ((long) width * height * mode.channels * mode.bytesPerSample != data.length) throw new IllegalArgumentException("pixel buffer size");
        if ((mode == Mode.P) != (palette != null)) throw new IllegalArgumentException("palette only for mode P");
    }
}
