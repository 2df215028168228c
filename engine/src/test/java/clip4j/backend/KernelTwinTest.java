package clip4j.backend;

import clip4j.io.DType;
import clip4j.io.HalfFloats;
import clip4j.io.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every Vector API kernel against its scalar twin, on odd shapes and CLIP shapes, at 128/256/512 bits. */
class KernelTwinTest {
    private static final Arena ARENA = Arena.ofShared();
    private static final ScalarBackend REF = new ScalarBackend();

    @AfterAll
    static void close() {
        ARENA.close();
    }

    static Stream<Arguments> species() {
        return Stream.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512).map(Arguments::of);
    }

    static Stream<Arguments> linearCases() {
        // mapped (native) weights: the GEMM on panels packed once, at any m; heap weights: the dot-product kernel
        // for m < 96 and the GEMM packing per call from m = 96 (partial panels, K blocks, row tails)
        int[][] shapes = {{31, 17, 23}, {1, 1, 1}, {5, 3, 2}, {50, 768, 2304}, {50, 3072, 768}, {7, 512, 512}, {4, 3072, 33},
                {131, 17, 23}, {97, 300, 65}, {120, 768, 768}, {100, 3072, 40},
                // an input too large to share packed (over VectorGemm.SHARED_INPUT_FLOATS): each task packs its own rows
                {701, 1000, 40}};
        Stream.Builder<Arguments> b = Stream.builder();
        for (VectorSpecies<Float> s : new VectorSpecies[]{FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512}) {
            for (int[] sh : shapes) {
                for (DType dt : new DType[]{DType.F32, DType.F16, DType.BF16}) b.add(Arguments.of(s, sh[0], sh[1], sh[2], dt));
            }
        }
        return b.build();
    }

    static float[] random(int n, long seed, float scale) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static Tensor weight(float[] w, int n, int k, DType dt) {
        MemorySegment s = ARENA.allocate((long) n * k * dt.bytes, 64);
        for (int i = 0; i < w.length; i++) {
            switch (dt) {
                case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, w[i]);
                case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, HalfFloats.floatToF16(w[i]));
                default -> s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, HalfFloats.floatToBf16(w[i]));
            }
        }
        return new Tensor("w", dt, new long[]{n, k}, s);
    }

    static void assertClose(float[] ref, float[] got, double tol, String what) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(ref[i] - got[i]) / (1.0 + Math.abs(ref[i]));
            worst = Math.max(worst, err);
        }
        assertTrue(worst <= tol, what + ": max relative error " + worst + " > " + tol);
    }

    @ParameterizedTest
    @MethodSource("linearCases")
    void linear(VectorSpecies<Float> s, int m, int k, int n, DType dt) {
        float[] x = random(m * k, 1, 1f);
        Tensor w = weight(random(n * k, 2, (float) (1 / Math.sqrt(k))), n, k, dt);
        float[] bias = random(n, 3, 0.1f);
        Tensor heap = new Tensor("w", dt, w.shape(), MemorySegment.ofArray(w.data().toArray(ValueLayout.JAVA_BYTE)));
        // every epilogue on f32 weights of the smaller shapes (the large ones are covered by the bit-identity test
        // below); the 16-bit storages with the plain product (the epilogue does not see them)
        boolean all = dt == DType.F32 && (long) m * k * n < 20_000_000;
        for (Epilogue e : all ? Epilogue.values() : new Epilogue[]{Epilogue.NONE}) {
            float[] ref = random(m * n, 4, 1f);
            float[] start = ref.clone();
            REF.linear(x, m, k, w, bias, ref, e);
            for (Tensor t : new Tensor[]{w, heap}) {
                float[] got = start.clone();
                try (VectorBackend vb = VectorBackend.create(s, 2)) {
                    vb.linear(x, m, k, t, bias, got, e);
                }
                String where = t.data().isNative() ? "mapped" : "heap";
                assertClose(ref, got, 2e-6 * Math.sqrt(k), "linear " + m + "x" + k + "x" + n + " " + e + " " + dt + " " + s + " " + where);
            }
        }
    }

    /**
     * A fused epilogue gives the same bits as the product followed by the separate operation (the activation over the
     * whole output, or the residual add), on CLIP-like shapes and odd ones (scalar tails in other places), for the packed
     * GEMM (mapped weights) and the dot-product kernel (heap weights, few rows): fusing an activation changed no
     * number; the packed GEMM sums a residual in place, (identity + b) + x·Wᵀ, which may round differently from
     * identity + (x·Wᵀ + b) by an ulp or two, no more.
     */
    @ParameterizedTest
    @MethodSource("species")
    void fusedEpiloguesEqualTheSeparateOperations(VectorSpecies<Float> s) {
        // several column groups and K blocks (k > 768), a prompt's rows, partial panels, odd widths, many rows
        int[][] shapes = {{50, 1536, 1024}, {8, 512, 2048}, {9, 64, 256}, {9, 64, 250}, {131, 17, 23}, {5, 33, 47}};
        for (int[] sh : shapes) {
            int m = sh[0], k = sh[1], n = sh[2];
            float[] x = random(m * k, 11, 1f), bias = random(n, 12, 0.1f), residual = random(m * n, 13, 1f);
            Tensor mapped = weight(random(n * k, 14, (float) (1 / Math.sqrt(k))), n, k, DType.F32);
            Tensor heap = new Tensor("w", DType.F32, mapped.shape(), MemorySegment.ofArray(mapped.data().toArray(ValueLayout.JAVA_BYTE)));
            for (Tensor w : new Tensor[]{mapped, heap}) try (VectorBackend vb = VectorBackend.create(s, 2)) {
                float[] product = new float[m * n];
                vb.linear(x, m, k, w, bias, product);
                float[] quick = product.clone(), gelu = product.clone(), added = residual.clone();
                vb.quickGelu(quick, m * n);
                vb.gelu(gelu, m * n);
                for (int i = 0; i < added.length; i++) added[i] += product[i];
                float[] fused = new float[m * n];
                vb.linear(x, m, k, w, bias, fused, Epilogue.QUICK_GELU);
                String where = java.util.Arrays.toString(sh) + " " + s + (w.data().isNative() ? " mapped" : " heap");
                assertArrayEquals(quick, fused, "QuickGELU " + where);
                vb.linear(x, m, k, w, bias, fused, Epilogue.GELU);
                assertArrayEquals(gelu, fused, "GELU " + where);
                fused = residual.clone();
                vb.linear(x, m, k, w, bias, fused, Epilogue.RESIDUAL);
                assertClose(added, fused, 1e-6, "residual " + where);
                float[] relu = product.clone(), addedRelu = added.clone();
                for (int i = 0; i < relu.length; i++) {
                    relu[i] = Math.max(relu[i], 0f);
                    addedRelu[i] = Math.max(addedRelu[i], 0f);
                }
                vb.linear(x, m, k, w, bias, fused, Epilogue.RELU);
                assertArrayEquals(relu, fused, "ReLU " + where);
                fused = residual.clone();
                vb.linear(x, m, k, w, bias, fused, Epilogue.RESIDUAL_RELU);
                assertClose(addedRelu, fused, 1e-6, "residual + ReLU " + where);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("species")
    void layerNorm(VectorSpecies<Float> s) {
        for (int cols : new int[]{17, 64, 768, 1023}) {
            int rows = 5;
            float[] x = random(rows * cols, 4, 3f);
            for (int i = 0; i < x.length; i++) x[i] += 2f;
            float[] g = random(cols, 5, 1f), b = random(cols, 6, 1f);
            float[] ref = new float[x.length], got = new float[x.length];
            REF.layerNorm(x, rows, cols, g, b, 1e-5f, ref);
            try (VectorBackend vb = VectorBackend.create(s, 2)) {
                vb.layerNorm(x, rows, cols, g, b, 1e-5f, got);
            }
            assertClose(ref, got, 2e-6, "layerNorm " + cols + " " + s);
        }
    }

    @ParameterizedTest
    @MethodSource("species")
    void attention(VectorSpecies<Float> s) {
        int[][] cases = {{2, 50, 768, 12}, {3, 9, 64, 1}, {1, 77, 512, 8}, {2, 5, 24, 3}, {1, 17, 128, 2}};
        for (int[] c : cases) {
            int batch = c[0], seq = c[1], width = c[2], heads = c[3];
            float[] qkv = random(batch * seq * 3 * width, 7, 1f);
            for (boolean causal : new boolean[]{false, true}) {
                float[] ref = new float[batch * seq * width], got = new float[batch * seq * width];
                REF.attention(qkv, batch, seq, width, heads, causal, ref);
                try (VectorBackend vb = VectorBackend.create(s, 2)) {
                    vb.attention(qkv, batch, seq, width, heads, causal, got);
                }
                assertClose(ref, got, 5e-6, "attention " + java.util.Arrays.toString(c) + " causal=" + causal + " " + s);
            }
        }
    }

    /**
     * The regrouped attention pooling (Kₕᵀq against the tokens, the projection of the weighted sum) against the
     * projections as written: RN50's shape (50 tokens of 2,048 channels, 32 heads) at batch 1 and 9 (a register tile
     * and a row), small and odd ones, f32 and 16-bit weights, and a width the vectors do not divide (the default path).
     */
    @ParameterizedTest
    @MethodSource("species")
    void attentionPool(VectorSpecies<Float> s) {
        int[][] cases = {{1, 50, 2048, 32}, {9, 50, 2048, 32}, {2, 5, 64, 2}, {3, 10, 256, 4}, {1, 2, 16, 1}, {2, 7, 24, 3}};
        for (int[] c : cases) {
            int batch = c[0], seq = c[1], width = c[2], heads = c[3];
            float[] tokens = random(batch * seq * width, 11, 1f), q = random(batch * width, 12, 1f);
            float[] kB = random(width, 13, 0.5f), vB = random(width, 14, 0.5f);
            float scale = (float) (1 / Math.sqrt(width));
            for (DType dt : new DType[]{DType.F32, DType.F16}) {
                Tensor kW = weight(random(width * width, 15, scale), width, width, dt), vW = weight(random(width * width, 16, scale), width, width, dt);
                float[] ref = new float[batch * width], got = new float[batch * width];
                REF.attentionPool(tokens, batch, seq, width, heads, q, kW, kB, vW, vB, ref);
                try (VectorBackend vb = VectorBackend.create(s, 2)) {
                    vb.attentionPool(tokens, batch, seq, width, heads, q, kW, kB, vW, vB, got);
                }
                assertClose(ref, got, 2e-6, "attentionPool " + java.util.Arrays.toString(c) + " " + dt + " " + s);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("species")
    void activations(VectorSpecies<Float> s) {
        float[] x = random(3079, 8, 3f);
        x[0] = 0f;
        x[1] = -12f;
        x[2] = 12f;
        x[3] = -0.5f;
        float[] r1 = x.clone(), g1 = x.clone(), r2 = x.clone(), g2 = x.clone();
        REF.quickGelu(r1, x.length);
        REF.gelu(r2, x.length);
        try (VectorBackend vb = VectorBackend.create(s, 2)) {
            vb.quickGelu(g1, x.length);
            vb.gelu(g2, x.length);
        }
        assertClose(r1, g1, 1e-6, "quickGelu " + s);
        assertClose(r2, g2, 1e-6, "gelu " + s);
    }

    @ParameterizedTest
    @MethodSource("species")
    void softmax(VectorSpecies<Float> s) {
        for (int n : new int[]{1, 7, 50, 77, 1000}) {
            float[] x = random(n + 3, 9, 4f);
            float[] ref = x.clone(), got = x.clone();
            REF.softmax(ref, 3, n);
            try (VectorBackend vb = VectorBackend.create(s, 1)) {
                vb.softmax(got, 3, n);
            }
            assertClose(ref, got, 1e-6, "softmax " + n + " " + s);
        }
    }
}
