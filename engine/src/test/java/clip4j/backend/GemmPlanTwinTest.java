package clip4j.backend;

import clip4j.io.DType;
import clip4j.io.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static clip4j.backend.KernelTwinTest.assertClose;
import static clip4j.backend.KernelTwinTest.random;
import static clip4j.backend.KernelTwinTest.weight;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The packed GEMM under every plan the tuner may choose (every micro-kernel, as a whole tile and as the edge kernel of
 * another plan), at 128/256/512 bits, against the scalar twin; and the three ways the weight panels come (packed per
 * call, packed once in memory, mapped from a panel file) give the same bits under a plan.
 */
class GemmPlanTwinTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final ScalarBackend REF = new ScalarBackend();

    @AfterAll
    static void close() {
        ARENA.close();
    }

    /**
     * Every kernel shape as a plan, with a K block and row block small enough that the shapes below have several, and
     * the rows in 1, 2 or 3 parts (3 parts for 2 threads: a thread's share then straddles two parts).
     */
    static List<GemmPlan> plans() {
        List<GemmPlan> out = new ArrayList<>();
        for (int nr = 1; nr <= 4; nr++) {
            for (int mr : new int[]{2, 3, 4, 5, 6, 8, 12}) {
                if (VectorMicroKernels.hasKernel(mr, nr)) out.add(new GemmPlan(mr, nr, 40, 2 * mr, 1 + mr % 3, 1 + (mr + nr) % 3));
            }
        }
        return out;
    }

    static Stream<VectorSpecies<Float>> species() {
        return Stream.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512);
    }

    @ParameterizedTest
    @MethodSource("species")
    void everyPlanMatchesTheScalarTwin(VectorSpecies<Float> s) {
        // row tails of every length, partial column tiles and panels, K blocks with a short last one, one whole CLIP row
        int[][] shapes = {{13, 100, 37}, {1, 16, 5}, {29, 70, 130}, {50, 768, 64}};
        for (GemmPlan plan : plans()) {
            for (int[] sh : shapes) {
                int m = sh[0], k = sh[1], n = sh[2];
                for (DType dt : new DType[]{DType.F32, DType.F16, DType.BF16}) {
                    float[] x = random(m * k, 21, 1f), bias = random(n, 22, 0.1f);
                    Tensor w = weight(random(n * k, 23, (float) (1 / Math.sqrt(k))), n, k, dt);
                    float[] ref = new float[m * n];
                    REF.linear(x, m, k, w, bias, ref);
                    float[][] got = bySource(s, plan, x, m, k, w, bias);
                    String what = plan + " " + m + "x" + k + "x" + n + " " + dt + " " + s;
                    assertClose(ref, got[0], 2e-6 * Math.sqrt(k), what);
                    assertArrayEquals(got[0], got[1], "packed once vs per call: " + what);
                    assertArrayEquals(got[0], got[2], "panel file vs per call: " + what);
                    // how the threads share the work never changes a bit (each output is summed by one thread)
                    if (plan.mt() > 1 && dt == DType.F32) {
                        assertArrayEquals(got[2], bySource(s, plan.withMt(1), x, m, k, w, bias)[2], "row parts: " + what);
                    }
                }
            }
        }
    }

    /** The product with the panels packed per call (first use), packed once (second use), and as given panels. */
    static float[][] bySource(VectorSpecies<Float> s, GemmPlan plan, float[] x, int m, int k, Tensor w, float[] bias) {
        int n = Math.toIntExact(w.shape()[0]);
        float[][] out = new float[3][m * n];
        try (VectorBackend vb = VectorBackend.create(s, 2, plan, true, null)) {
            vb.linear(x, m, k, w, bias, out[0]);
            vb.linear(x, m, k, w, bias, out[1]);
        }
        try (VectorBackend vb = VectorBackend.create(s, 2, plan, true, null)) {
            MemorySegment panels = ARENA.allocate((long) WeightPanels.panels(n) * k * WeightPanels.COLS * w.dtype().bytes, 64);
            WeightPanels.pack(w, n, k, panels);
            vb.usePanels(w, new VectorGemm.Panels(panels, w.dtype()));
            vb.linear(x, m, k, w, bias, out[2]);
        }
        return out;
    }

    /**
     * Widening f16 panels in vectors gives Float.float16ToFloat's bits for every one of the 65,536 patterns (zeros,
     * subnormals, normals, infinities, NaNs with their payloads, both signs): per call the weights are decoded by
     * Float.float16ToFloat, packed once they are widened in vectors (in the kernel's registers for one row, into the
     * workers' buffers for sixteen), and the products must be the same bits.
     */
    @Test
    void everyF16PatternWidensExactly() {
        int n = 65536, k = 16;
        // weight row j = pattern j at step 0 (zero elsewhere), input = one-hot on step 0: the product is the pattern
        MemorySegment raw = ARENA.allocate((long) n * k * 2, 64);
        for (int j = 0; j < n; j++) raw.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, (long) j * k, (short) j);
        Tensor w = new Tensor("w", DType.F16, new long[]{n, k}, raw);
        for (int m : new int[]{1, VectorGemm.F16_IN_PLACE_ROWS}) for (VectorSpecies<Float> s : species().toList()) {
            float[] x = new float[m * k];
            for (int r = 0; r < m; r++) x[r * k] = 1f; // every row the same one-hot input; the last row is checked
            float[][] got = bySource(s, new GemmPlan(8, 2, 16, 8, 2), x, m, k, w, null);
            for (int c = 0; c < n; c++) {
                int j = (m - 1) * n + c;
                // the product 1·w + 0 (+0 for -0; a NaN quieted, its payload kept), the same bits on every path
                int want = Float.floatToRawIntBits(Float.float16ToFloat((short) c) * 1f + 0f);
                int perCall = Float.floatToRawIntBits(got[0][j]), packed = Float.floatToRawIntBits(got[1][j]),
                        panels = Float.floatToRawIntBits(got[2][j]);
                if (perCall != want || packed != want || panels != want) {
                    throw new AssertionError(String.format("f16 %04x, %d rows, %s: per call %08x, packed %08x, panels %08x, want %08x",
                            c, m, s, perCall, packed, panels, want));
                }
            }
        }
    }

    /**
     * A product whose width is not a multiple of the plan's tile runs narrower tiles when they divide it (RN50's 256
     * and 64 channels under 8x3): the same bits as the narrower plan itself, at every width.
     */
    @Test
    void aNarrowerTileServesWidthsTheTileDoesNotDivide() {
        int m = 37, k = 300;
        for (VectorSpecies<Float> s : species().toList()) for (int n : new int[]{4 * s.length(), 16 * s.length()}) {
            float[] x = random(m * k, 31, 1f), bias = random(n, 32, 0.1f);
            Tensor w = weight(random(n * k, 33, 0.05f), n, k, DType.F32);
            float[] wide = bySource(s, new GemmPlan(8, 3, 128, 16, 2), x, m, k, w, bias)[2];
            float[] narrow = bySource(s, new GemmPlan(8, 2, 128, 16, 2), x, m, k, w, bias)[2];
            assertArrayEquals(narrow, wide, n + " columns at " + s);
        }
    }

    @Test
    void plansParseAndRefuseNonsense() {
        for (GemmPlan p : plans()) assertEquals(p, GemmPlan.parse(p.toString()));
        assertEquals(new GemmPlan(8, 2, 768, 96, 8), GemmPlan.parse(" 8x2 kc768 mc96 nc8\n"));
        assertEquals(new GemmPlan(8, 2, 768, 96, 8, 2), GemmPlan.parse("8x2 kc768 mc96 nc8 mt2"));
        assertEquals(List.of(1, 16, 8, 4), GemmPlan.rowParts(16));
        assertEquals(List.of(1), GemmPlan.rowParts(1));
        for (String bad : new String[]{"", "8x2", "12x4 kc768 mc96 nc8", "8x2 kc768 mc90 nc8", "8x2 kc0 mc96 nc8", "8x2 kc768 mc96 nc0",
                "99x9 kc768 mc96 nc8", "8x2 kc768 mc96 nc8 extra", "8x2 kc768 mc96 nc8 mt0", "8x2 kc768 mc96 nc8 mt"}) {
            assertThrows(clip4j.ClipException.class, () -> GemmPlan.parse(bad), bad);
        }
    }

    @Test
    void candidateShapesFitTheRegisters() {
        for (int registers : new int[]{16, 32}) {
            GemmPlan seed = GemmPlan.seed(registers);
            List<GemmPlan> shapes = GemmPlan.shapes(registers);
            assertEquals(seed, shapes.getFirst());
            for (GemmPlan p : shapes) {
                if (p.registers() > registers) throw new AssertionError(p + " needs " + p.registers() + " registers of " + registers);
            }
        }
    }
}
