package clip4j.cuda;

import clip4j.ClipException;
import clip4j.backend.EngineOptions.Precision;
import clip4j.backend.EngineOptions;
import clip4j.backend.Epilogue;
import clip4j.backend.ScalarBackend;
import clip4j.backend.Workspace;
import clip4j.fewshot.HostAdapterKernels;
import clip4j.io.DType;
import clip4j.io.Tensor;
import clip4j.model.Activation;
import clip4j.model.Architectures;
import clip4j.model.ClipModel;
import clip4j.model.ResidualAttentionBlock;
import clip4j.model.SeededWeights;
import clip4j.model.Transformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CUDA kernel and device-resident path against the scalar reference twin on odd and real CLIP shapes (fp32 within
 * fp32 noise, the tensor-core GEMMs within fp16 / bf16 rounding): single operations, the block stack, both whole
 * encoders of a seeded model, Tip-Adapter's cache logits and Meta-Adapter's refinement. Needs an NVIDIA GPU with driver
 * 580+; elsewhere it is skipped with a message (KernelEmulationTest runs the kernels on the CPU meanwhile).
 */
class CudaBackendTest {
    private static final ScalarBackend REF = new ScalarBackend();
    private static final Map<Precision, CudaBackend> GPU = new EnumMap<>(Precision.class);
    private static String unavailable;

    @BeforeAll
    static void open() {
        try {
            for (Precision p : Precision.values()) GPU.put(p, new CudaBackend(p));
            System.out.println("CUDA tests on " + GPU.get(Precision.FP32).name());
        } catch (ClipException e) {
            unavailable = e.getMessage();
            System.out.println("CUDA tests skipped: " + unavailable);
        }
    }

    @AfterAll
    static void close() {
        GPU.values().forEach(CudaBackend::close);
    }

    private static CudaBackend gpu(Precision p) {
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

    /** The tolerance for a precision: fp32 noise, or the rounding of the 16-bit GEMM inputs (bf16 keeps 8 bits). */
    static double tol(Precision p, double fp32, double fp16) {
        return switch (p) {
            case FP32 -> fp32;
            case FP16 -> fp16;
            case BF16 -> 8 * fp16;
        };
    }

    static Tensor matrix(Arena arena, float[] v, int n, int k) {
        return DeviceCheck.nativeMatrix(arena, v, n, k);
    }

    /** --device cuda: the options' precision picks the kernels. */
    @Test
    void providerTakesThePrecisionOption() {
        gpu(Precision.FP32);
        try (var be = new CudaBackendProvider().create(EngineOptions.defaults().withDevice("cuda").withPrecision(Precision.BF16))) {
            assertTrue(be.name().contains("bf16 tensor cores"), be.name());
        }
    }

    /** The device-resident block stack against the reference's operation-by-operation stack. */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void transformer(Precision p) {
        CudaBackend be = gpu(p);
        int w = 128, heads = 2, batch = 2, seq = 9;
        try (Arena arena = Arena.ofConfined()) {
            List<ResidualAttentionBlock> blocks = new ArrayList<>();
            for (int l = 0; l < 3; l++) {
                long s0 = 100L * l;
                float sd = (float) (1 / Math.sqrt(w));
                blocks.add(new ResidualAttentionBlock(random(w, s0, 0.2f), random(w, s0 + 1, 0.1f), matrix(arena, random(3 * w * w, s0 + 2, sd), 3 * w, w),
                        random(3 * w, s0 + 3, 0.1f), matrix(arena, random(w * w, s0 + 4, sd), w, w), random(w, s0 + 5, 0.1f),
                        random(w, s0 + 6, 0.2f), random(w, s0 + 7, 0.1f), matrix(arena, random(4 * w * w, s0 + 8, sd), 4 * w, w),
                        random(4 * w, s0 + 9, 0.1f), matrix(arena, random(4 * w * w, s0 + 10, sd / 2), w, 4 * w), random(w, s0 + 11, 0.1f)));
            }
            for (boolean causal : new boolean[]{false, true}) {
                Transformer t = new Transformer(w, heads, causal, Activation.QUICK_GELU, 1e-5f, blocks);
                float[] ref = random(batch * seq * w, 9, 1f), got = ref.clone();
                t.forward(REF, new Workspace(), ref, batch, seq);
                be.transformer(t, got, batch, seq); // the block stack on the device, as both towers run it
                assertClose(ref, got, tol(p, 2e-5, 3e-2), "transformer causal=" + causal + " " + p);
            }
        }
    }

    /** The fused cache model against the host default (exponentials and per-class sums in double). */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void tipAdapterLogits(Precision p) {
        CudaBackend be = gpu(p);
        int q = 37, d = 64, classes = 11, keys = 11 * 16;
        float[] x = random(q * d, 20, 0.125f);
        Tensor w = new Tensor("w", DType.F32, new long[]{classes, d}, MemorySegment.ofArray(random(classes * d, 21, 0.125f)));
        Tensor k = new Tensor("k", DType.F32, new long[]{keys, d}, MemorySegment.ofArray(random(keys * d, 22, 0.125f)));
        for (boolean interleaved : new boolean[]{true, false}) {  // labels 0,1,2,.. repeating; or class by class
            int[] labels = new int[keys];
            for (int i = 0; i < keys; i++) labels[i] = interleaved ? i % classes : i / 16;
            float[] ref = new float[q * classes], got = new float[q * classes];
            HostAdapterKernels.tipAdapterLogits(REF, x, q, d, w, k, labels, 100, 2.0, 5.5, ref);
            be.tipAdapterLogits(x, q, d, w, k, labels, 100, 2.0, 5.5, got);
            assertClose(ref, got, tol(p, 1e-4, 5e-2), "tipAdapterLogits " + p + (interleaved ? " interleaved" : " class by class"));
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void linear(Precision p) {
        CudaBackend be = gpu(p);
        int[][] shapes = {{31, 17, 23}, {1, 1, 1}, {50, 768, 2304}, {50, 3072, 768}, {400, 768, 768}, {8, 512, 1536}, {65, 130, 67}};
        try (Arena arena = Arena.ofConfined()) {
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                float[] x = random(m * k, 1, 1f), wv = random(n * k, 2, (float) (1 / Math.sqrt(k))), bias = random(n, 3, 0.1f);
                Tensor w = matrix(arena, wv, n, k);
                for (Epilogue e : Epilogue.values()) {
                    float[] ref = random(m * n, 4, 1f), got = ref.clone();
                    REF.linear(x, m, k, w, bias, ref, e);
                    be.linear(x, m, k, w, bias, got, e);
                    assertClose(ref, got, tol(p, 2e-6, 2e-3) * Math.sqrt(k), "linear " + m + "x" + k + "x" + n + " " + e + " " + p);
                }
            }
        }
    }

    /**
     * Both encoders on the device against the reference: the seeded test-tiny model whole on the device (the
     * TowerRunner capability), and the seeded ResNet test-tiny-rn operation by operation (its convolutions as im2col
     * products on the device, with the ReLU epilogues).
     */
    @ParameterizedTest
    @CsvSource({"test-tiny,FP32", "test-tiny,FP16", "test-tiny,BF16", "test-tiny-rn,FP32", "test-tiny-rn,FP16", "test-tiny-rn,BF16"})
    void encoders(String arch, Precision p) throws Exception {
        CudaBackend be = gpu(p);
        Path file = SeededWeights.writeTempModel(Architectures.byName(arch), 5, null, DType.F32);
        try (ClipModel ref = ClipModel.load(file, REF); ClipModel dev = ClipModel.load(file, be)) {
            int per = 3 * ref.config().imageSize() * ref.config().imageSize();
            List<float[]> images = new ArrayList<>();  // 9 images: 153 token rows, two row tiles in every GEMM
            for (int i = 0; i < 9; i++) images.add(random(per, 30 + i, 1f));
            int[][] prompts = {{49406, 320, 1125, 539, 49407}, {49406, 7, 49407}, {49406, 5, 6, 7, 8, 9, 10, 11, 49407, 0, 0}};
            float[][] ri = ref.imageFeatures(images), gi = dev.imageFeatures(images);
            float[][] rt = ref.textFeatures(prompts), gt = dev.textFeatures(prompts);
            for (int i = 0; i < ri.length; i++) assertClose(ri[i], gi[i], tol(p, 2e-5, 2e-2), arch + " image " + i + " " + p);
            for (int i = 0; i < rt.length; i++) assertClose(rt[i], gt[i], tol(p, 2e-5, 2e-2), arch + " prompt " + i + " " + p);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * A ResNet's operations on the device (im2col_nhwc then the GEMM with the ReLU epilogues; avg_pool_nhwc) against
     * the reference: odd sizes, strides, padding, a 1x1 convolution (no patches), every epilogue a ResNet uses.
     */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void convolutions(Precision p) {
        CudaBackend be = gpu(p);
        int[][] shapes = {{2, 9, 7, 5, 6, 3, 2, 1}, {1, 8, 8, 16, 32, 3, 1, 1}, {3, 4, 4, 8, 12, 1, 1, 0}};  // batch h w c out k stride pad
        try (Arena arena = Arena.ofConfined()) {
            for (int[] sh : shapes) {
                int batch = sh[0], h = sh[1], w = sh[2], c = sh[3], n = sh[4], k = sh[5], stride = sh[6], pad = sh[7];
                int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1, kk = k * k * c;
                float[] x = random(batch * h * w * c, 40, 1f), bias = random(n, 41, 0.1f), start = random(batch * oh * ow * n, 42, 1f);
                Tensor wt = matrix(arena, random(n * kk, 43, (float) (1 / Math.sqrt(kk))), n, kk);
                for (Epilogue e : new Epilogue[]{Epilogue.NONE, Epilogue.RELU, Epilogue.RESIDUAL_RELU}) {
                    float[] want = start.clone(), got = start.clone();
                    REF.conv2d(x, batch, h, w, c, wt, k, bias, stride, pad, want, e);
                    be.conv2d(x, batch, h, w, c, wt, k, bias, stride, pad, got, e);
                    assertClose(want, got, tol(p, 2e-5, 2e-2), "conv2d " + java.util.Arrays.toString(sh) + " " + e + " " + p);
                }
                float[] want = new float[batch * (h / 2) * (w / 2) * c], got = want.clone();
                REF.avgPool2d(x, batch, h, w, c, 2, want);
                be.avgPool2d(x, batch, h, w, c, 2, got);
                assertClose(want, got, 1e-6, "avgPool2d " + java.util.Arrays.toString(sh));
            }
        }
    }

    /** Meta-Adapter's refinement (two GEMMs and meta_refine) against the reference's host default. */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void metaAdapterRefine(Precision p) {
        CudaBackend be = gpu(p);
        int classes = 7, d = 64;
        int[] offsets = {0, 16, 32, 47, 63, 79, 95, 96};
        float[] w = random(classes * d, 40, 0.125f), support = random(offsets[classes] * d, 41, 0.125f);
        float[] q = random(d * d, 42, 0.125f), kt = random(d * d, 43, 0.125f), aw = random(d, 44, 0.125f);
        Tensor qt = new Tensor("q", DType.F32, new long[]{d, d}, MemorySegment.ofArray(q));
        Tensor kT = new Tensor("k", DType.F32, new long[]{d, d}, MemorySegment.ofArray(kt));
        float[] ref = new float[classes * d], got = new float[classes * d];
        HostAdapterKernels.metaAdapterRefine(REF, w, classes, d, support, offsets, qt, kT, aw, 1f, ref);
        be.metaAdapterRefine(w, classes, d, support, offsets, qt, kT, aw, 1f, got);
        assertClose(ref, got, tol(p, 1e-5, 2e-3), "metaAdapterRefine " + p);
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = "FP32")
    void rowAndElementKernels(Precision p) {
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
    @EnumSource(value = Precision.class, names = "FP32")
    void attention(Precision p) {
        CudaBackend be = gpu(p);
        for (int[] c : new int[][]{{2, 50, 768, 12}, {1, 77, 512, 8}, {3, 9, 64, 1}, {1, 257, 1280, 16}, {2, 130, 256, 2}}) {
            int batch = c[0], seq = c[1], width = c[2], heads = c[3];
            float[] qkv = random(batch * seq * 3 * width, 7, 1f);
            for (boolean causal : new boolean[]{false, true}) {
                float[] ref = new float[batch * seq * width], got = new float[batch * seq * width];
                REF.attention(qkv, batch, seq, width, heads, causal, ref);
                be.attention(qkv, batch, seq, width, heads, causal, got);
                assertClose(ref, got, 5e-6, "attention " + Arrays.toString(c) + " causal=" + causal);
            }
        }
    }
}
