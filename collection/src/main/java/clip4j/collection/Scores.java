package clip4j.collection;

import clip4j.backend.HalfVectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Cosine scores of a query against the rows of an embeddings matrix where it lies (a mapped .npy, f32 or f16 rows of
 * L2-normalised vectors), on the Vector API at one width per subclass (each holds its species as constants, which the
 * Vector API needs to compile to vector instructions), with a plain twin that sums in the same order: lane l sums the
 * products of elements l, l + len, l + 2·len… by FMA, the lanes are added in order, then the tail by FMA. The same bits.
 */
abstract sealed class Scores permits Scores.W128, Scores.W256, Scores.W512 {
    abstract VectorSpecies<Float> species();

    abstract VectorSpecies<Short> half();

    abstract VectorSpecies<Integer> ints();

    /** The kernel at a vector width in bits (128, 256, 512), or 0 for the JVM's preferred one. */
    static Scores of(int bits) {
        int b = bits == 0 ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : bits;
        return switch (b) {
            case 128 -> new W128();
            case 256 -> new W256();
            case 512 -> new W512();
            default -> throw new IllegalArgumentException("no " + bits + "-bit kernel");
        };
    }

    /** Row r of a [n, d] matrix at byte offset base: its dot product with q (lanes: scratch of the vector's length). */
    final float dot(MemorySegment m, long base, int d, boolean f16, int r, float[] q, float[] lanes) {
        VectorSpecies<Float> sp = species();
        int len = sp.length(), ub = sp.loopBound(d), j = 0;
        long o = base + (long) r * d * (f16 ? 2 : 4);
        FloatVector acc = FloatVector.zero(sp);
        if (f16) {
            for (; j < ub; j += len) {
                IntVector bits = (IntVector) ShortVector.fromMemorySegment(half(), m, o + 2L * j, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, ints(), 0);
                acc = HalfVectors.f16ToFloat(bits).fma(FloatVector.fromArray(sp, q, j), acc);
            }
        } else {
            for (; j < ub; j += len) acc = FloatVector.fromMemorySegment(sp, m, o + 4L * j, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.fromArray(sp, q, j), acc);
        }
        acc.intoArray(lanes, 0);
        float s = 0f;
        for (int l = 0; l < len; l++) s += lanes[l];
        for (; j < d; j++) s = Math.fma(value(m, o, j, f16), q[j], s);
        return s;
    }

    /** The plain twin of {@link #dot} for vectors of lanes floats. */
    static float plainDot(int lanes, MemorySegment m, long base, int d, boolean f16, int r, float[] q) {
        long o = base + (long) r * d * (f16 ? 2 : 4);
        float[] acc = new float[lanes];
        int ub = d - d % lanes, j = 0;
        for (; j < ub; j += lanes) for (int l = 0; l < lanes; l++) acc[l] = Math.fma(value(m, o, j + l, f16), q[j + l], acc[l]);
        float s = 0f;
        for (float v : acc) s += v;
        for (; j < d; j++) s = Math.fma(value(m, o, j, f16), q[j], s);
        return s;
    }

    private static float value(MemorySegment m, long o, int j, boolean f16) {
        return f16 ? Float.float16ToFloat(m.get(Npy.F16, o + 2L * j)) : m.get(Npy.F32, o + 4L * j);
    }

    /** Rows [from, to) offered to top as rows first + r; an all-zero row (an item that failed) is never a hit. */
    final void topK(MemorySegment m, long base, int d, boolean f16, int from, int to, float[] q, long first, TopK top) {
        float[] lanes = new float[species().length()];
        for (int r = from; r < to; r++) {
            float s = dot(m, base, d, f16, r, q, lanes);
            if (s >= top.threshold() && !(s == 0f && zero(m, base + (long) r * d * (f16 ? 2 : 4), (long) d * (f16 ? 2 : 4)))) {
                top.offer(first + r, s);
            }
        }
    }

    private static boolean zero(MemorySegment m, long o, long bytes) {
        for (long i = 0; i < bytes; i++) if (m.get(ValueLayout.JAVA_BYTE, o + i) != 0) return false;
        return true;
    }

    static final class W128 extends Scores {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
        private static final VectorSpecies<Short> H = ShortVector.SPECIES_64;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_128;

        VectorSpecies<Float> species() {
            return F;
        }

        VectorSpecies<Short> half() {
            return H;
        }

        VectorSpecies<Integer> ints() {
            return I;
        }
    }

    static final class W256 extends Scores {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        private static final VectorSpecies<Short> H = ShortVector.SPECIES_128;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;

        VectorSpecies<Float> species() {
            return F;
        }

        VectorSpecies<Short> half() {
            return H;
        }

        VectorSpecies<Integer> ints() {
            return I;
        }
    }

    static final class W512 extends Scores {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
        private static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;

        VectorSpecies<Float> species() {
            return F;
        }

        VectorSpecies<Short> half() {
            return H;
        }

        VectorSpecies<Integer> ints() {
            return I;
        }
    }
}
