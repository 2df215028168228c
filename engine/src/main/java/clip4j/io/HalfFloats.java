package clip4j.io;

/**
 * IEEE binary16 and bfloat16 conversions.
 *
 * <pre>
 *  f16 : s eeeee mmmmmmmmmm            (bias 15)
 *  bf16: s eeeeeeee mmmmmmm            (the top 16 bits of an f32)
 *  f32 : s eeeeeeee mmmmmmmmmmmmmmmmmmmmmmm
 * </pre>
 * f16 widening and narrowing use the JDK's exact {@link Float#float16ToFloat} / {@link Float#floatToFloat16}
 * (round to nearest even). bf16 narrowing rounds to nearest even as torch does; NaN stays a quiet NaN.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    public static float f16ToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
