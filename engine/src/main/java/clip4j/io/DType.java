package clip4j.io;

import clip4j.ClipException;

/** Element types of safetensors "dtype" fields (safetensors README) that we read. */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    public static DType parse(String name) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new ClipException("unsupported tensor dtype '" + name + "'");
        }
    }

    /** The storage flag of {@code convert --dtype}. */
    public static DType ofFlag(String flag) {
        return switch (flag) {
            case "f32" -> F32;
            case "f16" -> F16;
            case "bf16" -> BF16;
            default -> throw new ClipException("the storage type must be f32, f16 or bf16, not '" + flag + "'");
        };
    }
}
