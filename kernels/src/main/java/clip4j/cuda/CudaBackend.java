package clip4j.cuda;

import clip4j.backend.Backend;
import clip4j.backend.BlockWeights;
import clip4j.backend.ScalarBackend;
import clip4j.io.Tensor;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * The engine's {@link Backend} on an NVIDIA GPU with the kernels of src/main/cuda. Weight matrices are uploaded once
 * per tensor (fp32, or fp16 for the tensor-core GEMM when {@code -Dclip4j.cuda.precision=fp16}) and kept until close.
 * The residual block stack, nearly all of an encoder's work, runs with its activations on the device (one upload and
 * one download per stack); the remaining operations (patch embedding, ln_pre/ln_post/ln_final, projections) cross
 * to the device and back one at a time through reused device buffers. Calls are serialised (one context, one stream).
 */
public final class CudaBackend implements Backend {
    public enum Precision { FP32, FP16 }

    private static final CUdeviceptr NULL = new CUdeviceptr();

    private final CudaContext cuda;
    private final Precision precision;
    private final Map<MemorySegment, CUdeviceptr> weights = new IdentityHashMap<>();
    private final DeviceBuffer in = new DeviceBuffer(), in16 = new DeviceBuffer(), out = new DeviceBuffer();
    private final DeviceBuffer vec0 = new DeviceBuffer(), vec1 = new DeviceBuffer(), heapW = new DeviceBuffer(), heapK = new DeviceBuffer();
    /** The block stack's activations (residualBlocks). */
    private final DeviceBuffer stackX = new DeviceBuffer(), stackH = new DeviceBuffer(), stackQkv = new DeviceBuffer();
    private final DeviceBuffer stackAttn = new DeviceBuffer(), stackMlp = new DeviceBuffer();
    /** Model vectors (biases, LayerNorm weights) by array identity, uploaded once like the matrices. */
    private final Map<float[], CUdeviceptr> vectors = new IdentityHashMap<>();

    public CudaBackend(Precision precision) {
        this.cuda = CudaContext.open();
        this.precision = precision;
    }

    /** The context, for the device check's kernel timings. */
    CudaContext context() {
        return cuda;
    }

    @Override
    public String name() {
        return "cuda (" + cuda.deviceName + ", driver CUDA " + Launches.versionString(cuda.driverVersion) + ", "
                + (precision == Precision.FP16 ? "fp16 tensor-core GEMM" : "fp32") + ")";
    }

    /** Whole batches of 256 images reach the device (a CPU backend takes 8). */
    @Override
    public int imageBatch() {
        return 256;
    }

    @Override
    public synchronized void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] y) {
        ScalarBackend.checkLinear(x, m, k, w, bias, y);
        cuda.makeCurrent();
        int n = Math.toIntExact(w.shape()[0]);
        CUdeviceptr dy = out.ensure(4L * m * n);
        linearOn(upload(in, x, (long) m * k), m, k, n, device(w, heapW), bias == null ? NULL : upload(vec0, bias, n), dy);
        cuMemcpyDtoH(Pointer.to(y), dy, 4L * m * n);
    }

    @Override
    public synchronized void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] y) {
        cuda.makeCurrent();
        CUdeviceptr dx = upload(in, x, (long) rows * cols);
        layerNormOn(dx, rows, cols, upload(vec0, gamma, cols), upload(vec1, beta, cols), eps, dx);
        cuMemcpyDtoH(Pointer.to(y), dx, 4L * rows * cols);
    }

    @Override
    public synchronized void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] y) {
        cuda.makeCurrent();
        long rows = (long) batch * seq;
        CUdeviceptr dy = out.ensure(4 * rows * width);
        attentionOn(upload(in, qkv, rows * 3 * width), batch, seq, width, heads, causal, dy);
        cuMemcpyDtoH(Pointer.to(y), dy, 4 * rows * width);
    }

    @Override
    public void quickGelu(float[] x, int n) {
        elementwise("quick_gelu", x, n);
    }

    @Override
    public void gelu(float[] x, int n) {
        elementwise("gelu", x, n);
    }

    private synchronized void elementwise(String kernel, float[] x, int n) {
        cuda.makeCurrent();
        CUdeviceptr dx = upload(in, x, n);
        cuda.launch(kernel, Launches.elementBlocks(n), 1, Launches.ELEMENT_THREADS, CudaContext.args(dx, (long) n));
        cuMemcpyDtoH(Pointer.to(x), dx, 4L * n);
    }

    @Override
    public synchronized void softmax(float[] x, int off, int n) {
        cuda.makeCurrent();
        CUdeviceptr dx = in.ensure(4L * n);
        cuMemcpyHtoD(dx, Pointer.to(x).withByteOffset(4L * off), 4L * n);
        cuda.launch("softmax_rows", Launches.softmaxBlocks(1), 1, Launches.ROW_THREADS, CudaContext.args(dx, 1, n));
        cuMemcpyDtoH(Pointer.to(x).withByteOffset(4L * off), dx, 4L * n);
    }

    /**
     * The whole block stack with x on the device: one upload, every operation on device buffers, one download. The
     * blocks' vectors (biases, LayerNorm weights) are uploaded once, like the matrices.
     */
    @Override
    public synchronized void residualBlocks(float[] x, int batch, int seq, int w, int heads, boolean causal, boolean quickGelu,
                                            float eps, List<BlockWeights> blocks) {
        cuda.makeCurrent();
        long m = (long) batch * seq;
        int rows = Math.toIntExact(m);
        CUdeviceptr dx = upload(stackX, x, m * w);
        CUdeviceptr h = stackH.ensure(4 * m * w), qkv = stackQkv.ensure(12 * m * w), attn = stackAttn.ensure(4 * m * w);
        CUdeviceptr mlp = stackMlp.ensure(16 * m * w);
        for (BlockWeights b : blocks) {
            layerNormOn(dx, rows, w, vector(b.ln1Weight()), vector(b.ln1Bias()), eps, h);
            linearOn(h, rows, w, 3 * w, weight(b.inProj()), vector(b.inProjBias()), qkv);
            attentionOn(qkv, batch, seq, w, heads, causal, attn);
            linearOn(attn, rows, w, w, weight(b.outProj()), vector(b.outProjBias()), h);
            cuda.launch("add", Launches.elementBlocks(m * w), 1, Launches.ELEMENT_THREADS, CudaContext.args(dx, h, m * w));
            layerNormOn(dx, rows, w, vector(b.ln2Weight()), vector(b.ln2Bias()), eps, h);
            linearOn(h, rows, w, 4 * w, weight(b.cFc()), vector(b.cFcBias()), mlp);
            cuda.launch(quickGelu ? "quick_gelu" : "gelu", Launches.elementBlocks(4 * m * w), 1, Launches.ELEMENT_THREADS,
                    CudaContext.args(mlp, 4 * m * w));
            linearOn(mlp, rows, 4 * w, w, weight(b.cProj()), vector(b.cProjBias()), h);
            cuda.launch("add", Launches.elementBlocks(m * w), 1, Launches.ELEMENT_THREADS, CudaContext.args(dx, h, m * w));
        }
        cuMemcpyDtoH(Pointer.to(x), dx, 4 * m * w);
    }

    /**
     * Both products and the cache aggregation on the device (tip.cu), the affinities never leaving it. More classes
     * than tip.cu's shared-memory bins take the default: the products here, the aggregation on the host.
     */
    @Override
    public synchronized void tipAdapterLogits(float[] x, int q, int d, Tensor classWeights, Tensor keys, int[] labels, double scale,
                                              double alpha, double beta, float[] out) {
        int n = Math.toIntExact(classWeights.shape()[0]), nk = Math.toIntExact(keys.shape()[0]);
        if (n > Launches.TIP_MAX_CLASSES || nk == 0) {
            Backend.super.tipAdapterLogits(x, q, d, classWeights, keys, labels, scale, alpha, beta, out);
            return;
        }
        cuda.makeCurrent();
        CUdeviceptr dx = upload(in, x, (long) q * d);
        CUdeviceptr zs = stackH.ensure(4L * q * n), aff = stackMlp.ensure(4L * q * nk), logits = this.out.ensure(4L * q * n);
        linearOn(dx, q, d, n, device(classWeights, heapW), NULL, zs);
        linearOn(dx, q, d, nk, device(keys, heapK), NULL, aff);
        CUdeviceptr dl = stackQkv.ensure(4L * nk);
        cuMemcpyHtoD(dl, Pointer.to(labels), 4L * nk);
        cuda.launch("tip_cache_logits", q, 1, Launches.ROW_THREADS,
                CudaContext.args(aff, dl, zs, q, nk, n, (float) scale, (float) alpha, (float) beta, logits));
        cuMemcpyDtoH(Pointer.to(out), logits, 4L * q * n);
    }

    // ---- operations on device buffers -------------------------------------------------------------------------

    /** dy = dx·Wᵀ + b on the device; dw from {@link #weight} (model matrices) or {@link #matrix} (others). */
    private void linearOn(CUdeviceptr dx, int m, int k, int n, CUdeviceptr dw, CUdeviceptr db, CUdeviceptr dy) {
        int[] grid = Launches.linearGrid(m, n);
        if (precision == Precision.FP16) {
            long count = (long) m * k;
            CUdeviceptr dx16 = in16.ensure(2 * count);
            cuda.launch("to_f16", Launches.elementBlocks(count), 1, Launches.ELEMENT_THREADS, CudaContext.args(dx, dx16, count));
            cuda.launch("linear_f16", grid[0], grid[1], Launches.LINEAR_F16_THREADS, CudaContext.args(dx16, dw, db, dy, m, k, n));
        } else {
            cuda.launch("linear_f32", grid[0], grid[1], Launches.LINEAR_F32_THREADS, CudaContext.args(dx, dw, db, dy, m, k, n));
        }
    }

    private void layerNormOn(CUdeviceptr dx, int rows, int cols, CUdeviceptr gamma, CUdeviceptr beta, float eps, CUdeviceptr dy) {
        cuda.launch("layer_norm", rows, 1, Launches.ROW_THREADS, CudaContext.args(dx, rows, cols, gamma, beta, eps, dy));
    }

    private void attentionOn(CUdeviceptr dq, int batch, int seq, int width, int heads, boolean causal, CUdeviceptr dy) {
        String kernel = Launches.attentionKernel(width, heads);
        int[] grid = Launches.attentionGrid(batch, seq, heads);
        cuda.launch(kernel, grid[0], grid[1], Launches.ATTENTION_QUERIES, CudaContext.args(dq, seq, width, heads, causal ? 1 : 0, dy));
    }

    private static CUdeviceptr upload(DeviceBuffer buffer, float[] host, long count) {
        CUdeviceptr d = buffer.ensure(4 * count);
        cuMemcpyHtoD(d, Pointer.to(host), 4 * count);
        return d;
    }

    /** A matrix on the device: a mapped model weight from the cache, any other (adapter matrices) copied into buf. */
    private CUdeviceptr device(Tensor w, DeviceBuffer buf) {
        return w.data().isNative() ? weight(w) : matrix(w, buf);
    }

    /** w copied into buf, as the GEMM reads it. */
    private CUdeviceptr matrix(Tensor w, DeviceBuffer buf) {
        HostMatrix h = host(w);
        CUdeviceptr d = buf.ensure(h.bytes());
        cuMemcpyHtoD(d, h.data(), h.bytes());
        return d;
    }

    /** A matrix on the host as the GEMM reads it on the device: fp32, or fp16 bits for the tensor-core GEMM. */
    private record HostMatrix(Pointer data, long bytes) {
    }

    private HostMatrix host(Tensor w) {
        float[] f = w.toFloatArray();
        if (precision != Precision.FP16) return new HostMatrix(Pointer.to(f), 4L * f.length);
        short[] h = new short[f.length];
        for (int i = 0; i < f.length; i++) h[i] = Float.floatToFloat16(f[i]);
        return new HostMatrix(Pointer.to(h), 2L * h.length);
    }

    /** A model vector on the device, uploaded on first use. */
    private CUdeviceptr vector(float[] v) {
        return vectors.computeIfAbsent(v, a -> {
            CUdeviceptr d = new CUdeviceptr();
            cuMemAlloc(d, 4L * a.length);
            cuMemcpyHtoD(d, Pointer.to(a), 4L * a.length);
            return d;
        });
    }

    /** The weight on the device, uploaded on first use: fp32, or fp16 bits for the tensor-core GEMM. */
    private CUdeviceptr weight(Tensor w) {
        return weights.computeIfAbsent(w.data(), s -> {
            HostMatrix h = host(w);
            CUdeviceptr d = new CUdeviceptr();
            cuMemAlloc(d, h.bytes());
            cuMemcpyHtoD(d, h.data(), h.bytes());
            return d;
        });
    }

    @Override
    public synchronized void close() {
        cuda.makeCurrent();
        for (CUdeviceptr d : weights.values()) cuMemFree(d);
        for (CUdeviceptr d : vectors.values()) cuMemFree(d);
        weights.clear();
        vectors.clear();
        for (DeviceBuffer b : new DeviceBuffer[]{in, in16, out, vec0, vec1, heapW, heapK, stackX, stackH, stackQkv, stackAttn, stackMlp}) b.close();
        cuda.close();
    }
}
