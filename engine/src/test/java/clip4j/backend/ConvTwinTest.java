package clip4j.backend;

import clip4j.io.DType;
import clip4j.io.Tensor;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static clip4j.backend.KernelTwinTest.assertClose;
import static clip4j.backend.KernelTwinTest.random;
import static clip4j.backend.KernelTwinTest.weight;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A ResNet's operations on the Vector API against the reference twin at 128/256/512 bits: conv2d (im2col on the packed
 * GEMM vs direct loops) on odd shapes and strides and on RN50's, with every epilogue, weights mapped or on the heap,
 * f32/f16/bf16; the implicit im2col equal to the explicit product; avgPool2d bit for bit.
 */
class ConvTwinTest {
    /** batch, h, w, c, out, kernel, stride, pad. */
    private static final int[][] SHAPES = {
            {1, 7, 5, 3, 5, 3, 1, 1}, {2, 9, 9, 3, 32, 3, 2, 1}, {1, 6, 7, 17, 9, 3, 2, 1}, {3, 4, 4, 5, 7, 1, 1, 0},
            {1, 5, 5, 2, 3, 3, 1, 0}, {1, 8, 8, 4, 4, 3, 3, 2}, {2, 1, 1, 8, 3, 1, 1, 0},
            // Winograd F(2x2, 3x3): small and non-square, bands of tile rows across images (2 x 48 rows of 8 tiles at
            // 96 -> 32 channels: several bands), a 2x2 input (one tile); and odd sizes the im2col GEMM takes
            {2, 6, 8, 32, 48, 3, 1, 1}, {2, 96, 16, 96, 32, 3, 1, 1}, {3, 2, 2, 64, 16, 3, 1, 1}, {1, 7, 8, 32, 32, 3, 1, 1},
            // RN50: the stem's first convolution, its third, a stage-1, stage-3 and stage-4 3x3, a stage-3 1x1 (at batch 2)
            {1, 224, 224, 3, 32, 3, 2, 1}, {1, 112, 112, 32, 64, 3, 1, 1}, {1, 56, 56, 64, 64, 3, 1, 1}, {2, 14, 14, 256, 256, 3, 1, 1},
            {2, 7, 7, 512, 512, 3, 1, 1}, {2, 14, 14, 1024, 256, 1, 1, 0}};

    @ParameterizedTest
    @MethodSource("clip4j.backend.KernelTwinTest#species")
    void conv2dMatchesTheReference(VectorSpecies<Float> s) {
        ScalarBackend ref = new ScalarBackend();
        for (int[] sh : SHAPES) {
            int batch = sh[0], h = sh[1], w = sh[2], c = sh[3], n = sh[4], k = sh[5], stride = sh[6], pad = sh[7];
            int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1, kk = k * k * c;
            float[] x = random(batch * h * w * c, 1, 1f), bias = random(n, 2, 0.1f), start = random(batch * oh * ow * n, 3, 1f);
            boolean small = (long) batch * oh * ow * n * kk < 30_000_000L;
            for (DType dt : small ? new DType[]{DType.F32, DType.F16, DType.BF16} : new DType[]{DType.F32}) {
                Tensor mapped = weight(random(n * kk, 4, (float) (1 / Math.sqrt(kk))), n, kk, dt);
                Tensor heap = new Tensor("w", dt, mapped.shape(), MemorySegment.ofArray(mapped.data().toArray(ValueLayout.JAVA_BYTE)));
                for (Epilogue e : small && dt == DType.F32 ? Epilogue.values() : new Epilogue[]{Epilogue.RESIDUAL_RELU}) {
                    float[] want = start.clone();
                    ref.conv2d(x, batch, h, w, c, mapped, k, bias, stride, pad, want, e);
                    for (Tensor t : new Tensor[]{mapped, heap}) {
                        float[] got = start.clone();
                        try (VectorBackend vb = VectorBackend.create(s, 2)) {
                            vb.conv2d(x, batch, h, w, c, t, k, bias, stride, pad, got, e);
                        }
                        assertClose(want, got, 2e-6 * Math.sqrt(kk), "conv2d " + Arrays.toString(sh) + " " + e + " " + dt + " " + s
                                + (t.data().isNative() ? " mapped" : " heap"));
                    }
                }
            }
        }
    }

    /**
     * The packed GEMM packs a convolution's patches straight from its input: the same bits as the product of the
     * explicit im2col matrix (RN50's stem convolution at batch 2, and a strided, padded odd one, both packed by row
     * per task; the 3-channel stem at stride 2; a few rows packed K-major for all tasks, with a K block that ends
     * inside a kernel position).
     */
    @ParameterizedTest
    @MethodSource("clip4j.backend.KernelTwinTest#species")
    void implicitIm2colEqualsTheExplicitProduct(VectorSpecies<Float> s) {
        implicitEqualsExplicit(s, 2, 112, 32, 32, 3, 1, 1);
        implicitEqualsExplicit(s, 3, 13, 7, 40, 3, 2, 1);
        implicitEqualsExplicit(s, 1, 64, 3, 32, 3, 2, 1);
        implicitEqualsExplicit(s, 1, 9, 100, 24, 3, 1, 1);
    }

    private static void implicitEqualsExplicit(VectorSpecies<Float> s, int batch, int h, int c, int n, int k, int stride, int pad) {
        Im2col im = Im2col.of(batch, h, h, c, k, stride, pad);
        int kk = im.cols(), rows = im.rows();
        float[] x = random(batch * h * h * c, 5, 1f), bias = random(n, 6, 0.1f);
        Tensor w = weight(random(n * kk, 7, (float) (1 / Math.sqrt(kk))), n, kk, DType.F32);
        float[] patches = new float[rows * kk];
        im.gather(x, patches);
        try (VectorBackend vb = VectorBackend.create(s, 2)) {
            vb.winograd(false); // the im2col GEMM, whatever the shape
            float[] explicit = new float[rows * n], implicit = new float[rows * n];
            vb.linear(patches, rows, kk, w, bias, explicit, Epilogue.RELU);
            vb.conv2d(x, batch, h, h, c, w, k, bias, stride, pad, implicit, Epilogue.RELU);
            assertArrayEquals(explicit, implicit, "implicit vs explicit im2col at " + s + ", " + im);
        }
    }

    @ParameterizedTest
    @MethodSource("clip4j.backend.KernelTwinTest#species")
    void avgPoolEqualsThePlainLoops(VectorSpecies<Float> s) {
        // RN50's pools (stem 2x2 over 112x112x64; a stage's 2x2 over its planes), odd channel counts, a partial window dropped
        int[][] shapes = {{2, 112, 112, 64, 2}, {1, 56, 56, 128, 2}, {3, 5, 7, 13, 2}, {1, 9, 9, 3, 3}, {2, 4, 4, 17, 1}};
        Backend plain = new ScalarBackend();
        for (int[] sh : shapes) {
            int batch = sh[0], h = sh[1], w = sh[2], c = sh[3], kernel = sh[4];
            float[] x = random(batch * h * w * c, 8, 1f);
            x[0] = -0f;
            float[] want = new float[batch * (h / kernel) * (w / kernel) * c], got = want.clone();
            plain.avgPool2d(x, batch, h, w, c, kernel, want);
            try (VectorBackend vb = VectorBackend.create(s, 2)) {
                vb.avgPool2d(x, batch, h, w, c, kernel, got);
            }
            assertArrayEquals(want, got, "avgPool2d " + Arrays.toString(sh) + " " + s);
        }
    }

    @ParameterizedTest
    @MethodSource("clip4j.backend.KernelTwinTest#species")
    void badShapesAreRefused(VectorSpecies<Float> s) {
        Tensor w = weight(random(4 * 27, 9, 0.1f), 4, 27, DType.F32);
        try (VectorBackend vb = VectorBackend.create(s, 2)) {
            float[] x = new float[2 * 2 * 3], out = new float[64];
            assertThrows(IllegalArgumentException.class, () -> vb.conv2d(x, 1, 2, 2, 3, w, 3, null, 1, 0, out, Epilogue.NONE), "kernel larger than input");
            assertThrows(IllegalArgumentException.class, () -> vb.conv2d(x, 1, 2, 2, 2, w, 3, null, 1, 1, out, Epilogue.NONE), "wrong channels");
            assertThrows(IllegalArgumentException.class, () -> vb.conv2d(new float[3], 1, 2, 2, 3, w, 3, null, 1, 1, out, Epilogue.NONE), "short input");
            assertThrows(IllegalArgumentException.class, () -> vb.avgPool2d(x, 1, 2, 2, 3, 0, out), "kernel 0");
            assertThrows(IllegalArgumentException.class, () -> vb.avgPool2d(new float[5], 1, 2, 2, 3, 2, out), "short input");
            // an empty batch is nothing to compute, on mapped (packed) weights too
            vb.conv2d(x, 0, 2, 2, 3, w, 3, null, 1, 1, out, Epilogue.RELU);
            vb.linear(new float[0], 0, 27, w, null, new float[0], Epilogue.NONE);
        }
    }
}
