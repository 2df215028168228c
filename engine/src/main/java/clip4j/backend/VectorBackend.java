package clip4j.backend;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.nio.file.Path;

/**
 * CPU backend on the Vector API at a chosen species (128, 256 or 512 bits), multi-threaded over a static
 * partition. Each kernel here has its twin in {@link ScalarBackend}; the tests compare them at every width.
 * <p>
 * The species must be a JIT constant or C2 cannot intrinsify the vector operations (every vector becomes a heap
 * object). A final field is not constant, so each width is a final subclass whose {@link #species()} returns a
 * static final; when a process uses one width, class-hierarchy analysis inlines it and the kernels compile to
 * plain SIMD. Create instances with {@link #create}.
 */
public abstract sealed class VectorBackend extends VectorAttention permits VectorBackend.W128, VectorBackend.W256, VectorBackend.W512 {
    private VectorBackend(int threads, GemmPlan plan, boolean packOnce, Path panelDir) {
        super(threads, plan, packOnce, panelDir);
    }

    static final class W128 extends VectorBackend {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        private static final VectorSpecies<Short> H = ShortVector.SPECIES_64;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_128;

        W128(int threads, GemmPlan plan, boolean packOnce, Path panelDir) {
            super(threads, plan, packOnce, panelDir);
        }

        @Override
        VectorSpecies<Float> species() {
            return S;
        }

        @Override
        VectorSpecies<Short> halfSpecies() {
            return H;
        }

        @Override
        VectorSpecies<Integer> intSpecies() {
            return I;
        }

        private static final VectorShuffle<Float> D8 = null, D4 = null,
                D1 = VectorShuffle.fromOp(S, i -> (i + 1) % 4);

        @Override
        VectorShuffle<Float> down8() {
            return D8;
        }

        @Override
        VectorShuffle<Float> down4() {
            return D4;
        }

        @Override
        VectorShuffle<Float> down1() {
            return D1;
        }
    }

    static final class W256 extends VectorBackend {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        private static final VectorSpecies<Short> H = ShortVector.SPECIES_128;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;

        W256(int threads, GemmPlan plan, boolean packOnce, Path panelDir) {
            super(threads, plan, packOnce, panelDir);
        }

        @Override
        VectorSpecies<Float> species() {
            return S;
        }

        @Override
        VectorSpecies<Short> halfSpecies() {
            return H;
        }

        @Override
        VectorSpecies<Integer> intSpecies() {
            return I;
        }

        private static final VectorShuffle<Float> D8 = null, D4 = VectorShuffle.fromOp(S, i -> (i + 4) % 8),
                D1 = VectorShuffle.fromOp(S, i -> (i + 1) % 8);

        @Override
        VectorShuffle<Float> down8() {
            return D8;
        }

        @Override
        VectorShuffle<Float> down4() {
            return D4;
        }

        @Override
        VectorShuffle<Float> down1() {
            return D1;
        }
    }

    static final class W512 extends VectorBackend {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        private static final VectorSpecies<Short> H = ShortVector.SPECIES_256;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;

        W512(int threads, GemmPlan plan, boolean packOnce, Path panelDir) {
            super(threads, plan, packOnce, panelDir);
        }

        @Override
        VectorSpecies<Float> species() {
            return S;
        }

        @Override
        VectorSpecies<Short> halfSpecies() {
            return H;
        }

        @Override
        VectorSpecies<Integer> intSpecies() {
            return I;
        }

        private static final VectorShuffle<Float> D8 = VectorShuffle.fromOp(S, i -> (i + 8) % 16), D4 = VectorShuffle.fromOp(S, i -> (i + 4) % 16),
                D1 = VectorShuffle.fromOp(S, i -> (i + 1) % 16);

        @Override
        VectorShuffle<Float> down8() {
            return D8;
        }

        @Override
        VectorShuffle<Float> down4() {
            return D4;
        }

        @Override
        VectorShuffle<Float> down1() {
            return D1;
        }
    }

    /** A backend at a species' width (128, 256 or 512 bits) with the untuned plan, mapped weights packed in memory once. */
    public static VectorBackend create(VectorSpecies<Float> species, int threads) {
        return create(species, threads, GemmPlan.seed(registers()), true, null);
    }

    /**
     * A backend at a species' width (128, 256 or 512 bits) blocking its products as the plan says. With a panel
     * directory the weights of each model are packed once into a mapped panel file there ({@link #prepare}); without,
     * packOnce packs those of mapped files in memory from their second use on, or else per call.
     */
    public static VectorBackend create(VectorSpecies<Float> species, int threads, GemmPlan plan, boolean packOnce, Path panelDir) {
        return switch (species.vectorBitSize()) {
            case 128 -> new W128(threads, plan, packOnce, panelDir);
            case 256 -> new W256(threads, plan, packOnce, panelDir);
            case 512 -> new W512(threads, plan, packOnce, panelDir);
            default -> throw new IllegalArgumentException("unsupported vector width " + species.vectorBitSize());
        };
    }

    /**
     * Vector registers a kernel at this species may use, as far as can be told for free: 32 when the JVM's preferred
     * width is 512 bits (AVX-512, which also has 32 of 256 bits), else 16 (AVX2, or AVX-512 switched off).
     */
    public static int registers() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? 32 : 16;
    }

    /** The species for a bit width (0 = the platform's preferred one). */
    public static VectorSpecies<Float> speciesForBits(int bits) {
        return switch (bits) {
            case 0 -> FloatVector.SPECIES_PREFERRED;
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("vector bits must be 128, 256 or 512, not " + bits);
        };
    }

    @Override
    public String name() {
        return "cpu (Vector API " + species().vectorBitSize() + "-bit, " + pool.threads() + " threads)";
    }
}
