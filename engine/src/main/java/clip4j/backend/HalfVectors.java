package clip4j.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * 16-bit floats widened in vector registers, bit for bit as {@link Float#float16ToFloat} and a bf16 shift do it,
 * from their bits zero-extended into int lanes (the caller loads them at its own, constant, width).
 */
public final class HalfVectors {
    private HalfVectors() {
    }

    /**
     * f16: the exponent and significand moved into place and scaled by 2^112 (exact, subnormals included), infinities
     * and NaNs given the all-ones exponent, the sign put back.
     */
    public static FloatVector f16ToFloat(IntVector bits) {
        IntVector magnitude = bits.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector scaled = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00 << 13);
        return scaled.blend(magnitude.or(0x7F80_0000), special).or(bits.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** bf16: the 16 bits moved to the top of the float's. */
    public static FloatVector bf16ToFloat(IntVector bits) {
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
