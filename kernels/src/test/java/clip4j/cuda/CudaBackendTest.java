package clip4j.cuda;

import clip4j.ClipException;
import clip4j.backend.BlockWeights;
import clip4j.backend.ScalarBackend;
import clip4j.io.DType;
import clip4j.io.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CUDA kernel against the scalar reference twin on odd and real CLIP shapes (fp32 within fp32 noise, the fp16
 * GEMM within fp16 rounding). Needs an NVIDIA GPU with driver 580+; elsewhere it is skipped with a message.
 */
class CudaBackendTest {
    private static final ScalarBackend REF = new ScalarBackend();
    private static final Map<CudaBackend.Precision, CudaBackend> GPU = new EnumMap<>(CudaBackend.Precision.class);
    private static String unavailable;

    @BeforeAll
    static void open() {
        try {
            for (CudaBackend.Precision p : CudaBackend.Precision.values()) GPU.put(p, new CudaBackend(p));
        } catch (ClipException e) {
            unavailable = e.getMessage();
            System.out.println("CUDA tests skipped: " + unavailable);
        }
    }

    @AfterAll
    static void close() {
        GPU.values().forEach(CudaBackend::close);
    }

    private static CudaBackend gpu(CudaBackend.Precision p) {
        Assumptions.assumeTrue(unavailable == null, () -> "no GPU: " + unavailable);
        return GPU.get(p);
    }

    static float[] random(int n, long seed, float scale) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static void assertClose(float[] ref, float[] got, double tol, String what) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - got[i]) / (1.0 + Math.abs(ref[i])));
        assertTrue(worst <= tol, what + ": max relative error " + worst + " > " + tol);
    }

    static Tensor matrix(Arena arena, float[] v, int n, int k) {
        MemorySegment seg = arena.allocate(4L * n * k, 64);
        MemorySegment.copy(v, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v.length);
        return new Tensor("w", DType.F32, new long[]{n, k}, seg);
    }

    /** The device-resident block stack against the reference's operation-by-operation stack. */
    @ParameterizedTest
    @EnumSource(CudaBackend.Precision.class)
    void residualBlocks(CudaBackend.Precision p) {
        CudaBackend be = gpu(p);
        int w = 128, heads = 2, batch = 2, seq = 9;
        try (Arena arena = Arena.ofConfined()) {
            List<BlockWeights> blocks = new ArrayList<>();
            for (int l = 0; l < 3; l++) {
                long s0 = 100L * l;
                float sd = (float) (1 / Math.sqrt(w));
                blocks.add(new BlockWeights(random(w, s0, 0.2f), random(w, s0 + 1, 0.1f), matrix(arena, random(3 * w * w, s0 + 2, sd), 3 * w, w),
                        random(3 * w, s0 + 3, 0.1f), matrix(arena, random(w * w, s0 + 4, sd), w, w), random(w, s0 + 5, 0.1f),
                        random(w, s0 + 6, 0.2f), random(w, s0 + 7, 0.1f), matrix(arena, random(4 * w * w, s0 + 8, sd), 4 * w, w),
                        random(4 * w, s0 + 9, 0.1f), matrix(arena, random(4 * w * w, s0 + 10, sd / 2), w, 4 * w), random(w, s0 + 11, 0.1f)));
            }
            for (boolean causal : new boolean[]{false, true}) {
                float[] ref = random(batch * seq * w, 9, 1f), got = ref.clone();
                REF.residualBlocks(ref, batch, seq, w, heads, causal, true, 1e-5f, blocks);
                be.residualBlocks(got, batch, seq, w, heads, causal, true, 1e-5f, blocks);
                assertClose(ref, got, p == CudaBackend.Precision.FP16 ? 3e-2 : 2e-5, "residualBlocks causal=" + causal + " " + p);
            }
        }
    }

    /** The fused cache model against the host default (exponentials and per-class sums in double). */
    @ParameterizedTest
    @EnumSource(CudaBackend.Precision.class)
    void tipAdapterLogits(CudaBackend.Precision p) {
        CudaBackend be = gpu(p);
        int q = 37, d = 64, classes = 11, keys = 11 * 16;
        float[] x = random(q * d, 20, 0.125f);
        Tensor w = new Tensor("w", DType.F32, new long[]{classes, d}, MemorySegment.ofArray(random(classes * d, 21, 0.125f)));
        Tensor k = new Tensor("k", DType.F32, new long[]{keys, d}, MemorySegment.ofArray(random(keys * d, 22, 0.125f)));
        int[] labels = new int[keys];
        for (int i = 0; i < keys; i++) labels[i] = i % classes;
        float[] ref = new float[q * classes], got = new float[q * classes];
        REF.tipAdapterLogits(x, q, d, w, k, labels, 100, 2.0, 5.5, ref);
        be.tipAdapterLogits(x, q, d, w, k, labels, 100, 2.0, 5.5, got);
        assertClose(ref, got, p == CudaBackend.Precision.FP16 ? 5e-2 : 1e-4, "tipAdapterLogits " + p);
    }

    @ParameterizedTest
    @EnumSource(CudaBackend.Precision.class)
    void linear(CudaBackend.Precision p) {
        CudaBackend be = gpu(p);
        int[][] shapes = {{31, 17, 23}, {1, 1, 1}, {50, 768, 2304}, {50, 3072, 768}, {400, 768, 768}, {8, 512, 1536}, {65, 130, 67}};
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                float[] x = random(m * k, 1, 1f), wv = random(n * k, 2, (float) (1 / Math.sqrt(k))), bias = random(n, 3, 0.1f);
                Tensor w = matrix(arena, wv, n, k);
                float[] ref = new float[m * n], got = new float[m * n];
                REF.linear(x, m, k, w, bias, ref);
                be.linear(x, m, k, w, bias, got);
                double tol = p == CudaBackend.Precision.FP16 ? 2e-3 * Math.sqrt(k) : 2e-6 * Math.sqrt(k);
                assertClose(ref, got, tol, "linear " + m + "x" + k + "x" + n + " " + p);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = CudaBackend.Precision.class, names = "FP32")
    void rowAndElementKernels(CudaBackend.Precision p) {
        CudaBackend be = gpu(p);
        for (int[] c : new int[][]{{50, 768}, {3, 17}, {77, 512}}) {
            int rows = c[0], cols = c[1];
            float[] x = random(rows * cols, 4, 2f), g = random(cols, 5, 1f), b = random(cols, 6, 0.5f);
            float[] ref = new float[x.length], got = new float[x.length];
            REF.layerNorm(x, rows, cols, g, b, 1e-5f, ref);
            be.layerNorm(x, rows, cols, g, b, 1e-5f, got);
            assertClose(ref, got, 1e-5, "layerNorm " + rows + "x" + cols);
        }
        float[] x = random(3079, 8, 3f);
        float[] r1 = x.clone(), g1 = x.clone(), r2 = x.clone(), g2 = x.clone(), r3 = x.clone(), g3 = x.clone();
        REF.quickGelu(r1, x.length);
        be.quickGelu(g1, x.length);
        REF.gelu(r2, x.length);
        be.gelu(g2, x.length);
        REF.softmax(r3, 5, 1000);
        be.softmax(g3, 5, 1000);
        assertClose(r1, g1, 1e-6, "quickGelu");
        assertClose(r2, g2, 1e-6, "gelu");
        assertClose(r3, g3, 1e-6, "softmax");
    }

    @ParameterizedTest
    @EnumSource(value = CudaBackend.Precision.class, names = "FP32")
    void attention(CudaBackend.Precision p) {
        CudaBackend be = gpu(p);
        for (int[] c : new int[][]{{2, 50, 768, 12}, {1, 77, 512, 8}, {3, 9, 64, 1}, {1, 257, 1280, 16}, {2, 130, 256, 2}}) {
            int batch = c[0], seq = c[1], width = c[2], heads = c[3];
            float[] qkv = random(batch * seq * 3 * width, 7, 1f);
            for (boolean causal : new boolean[]{false, true}) {
                float[] ref = new float[batch * seq * width], got = new float[batch * seq * width];
                REF.attention(qkv, batch, seq, width, heads, causal, ref);
                be.attention(qkv, batch, seq, width, heads, causal, got);
                assertClose(ref, got, 5e-6, "attention " + java.util.Arrays.toString(c) + " causal=" + causal);
            }
        }
    }
}
