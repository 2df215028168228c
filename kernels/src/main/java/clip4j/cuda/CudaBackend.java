package clip4j.cuda;

import clip4j.backend.Backend;
import clip4j.backend.ScalarBackend;
import clip4j.io.Tensor;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * The engine's {@link Backend} on an NVIDIA GPU with the kernels of src/main/cuda. Weight matrices are uploaded once
 * per tensor (fp32, or fp16 for the tensor-core GEMM when {@code -Dclip4j.cuda.precision=fp16}) and kept until close;
 * activations cross to the device and back on every operation through reused device buffers, so this is the
 * operation-by-operation path: correct on every op, not yet the device-resident encoder that batch throughput
 * needs. Calls are serialised (one context, one stream).
 */
public final class CudaBackend implements Backend {
    public enum Precision { FP32, FP16 }

    private static final CUdeviceptr NULL = new CUdeviceptr();

    private final CudaContext cuda;
    private final Precision precision;
    private final Map<MemorySegment, CUdeviceptr> weights = new IdentityHashMap<>();
    private final DeviceBuffer in = new DeviceBuffer(), in16 = new DeviceBuffer(), out = new DeviceBuffer();
    private final DeviceBuffer vec0 = new DeviceBuffer(), vec1 = new DeviceBuffer();

    public CudaBackend(Precision precision) {
        this.cuda = CudaContext.open();
        this.precision = precision;
    }

    @Override
    public String name() {
        return "cuda (" + cuda.deviceName + ", driver CUDA " + Launches.versionString(cuda.driverVersion) + ", "
                + (precision == Precision.FP16 ? "fp16 tensor-core GEMM" : "fp32") + ")";
    }

    @Override
    public synchronized void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] y) {
        ScalarBackend.checkLinear(x, m, k, w, bias, y);
        cuda.makeCurrent();
        int n = Math.toIntExact(w.shape()[0]);
        CUdeviceptr dx = upload(in, x, (long) m * k);
        CUdeviceptr dw = weight(w);
        CUdeviceptr db = bias == null ? NULL : upload(vec0, bias, n);
        CUdeviceptr dy = out.ensure(4L * m * n);
        int[] grid = Launches.linearGrid(m, n);
        if (precision == Precision.FP16) {
            long count = (long) m * k;
            CUdeviceptr dx16 = in16.ensure(2 * count);
            cuda.launch("to_f16", Launches.elementBlocks(count), 1, Launches.ELEMENT_THREADS, CudaContext.args(dx, dx16, count));
            cuda.launch("linear_f16", grid[0], grid[1], Launches.LINEAR_F16_THREADS, CudaContext.args(dx16, dw, db, dy, m, k, n));
        } else {
            cuda.launch("linear_f32", grid[0], grid[1], Launches.LINEAR_F32_THREADS, CudaContext.args(dx, dw, db, dy, m, k, n));
        }
        cuMemcpyDtoH(Pointer.to(y), dy, 4L * m * n);
    }

    @Override
    public synchronized void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] y) {
        cuda.makeCurrent();
        CUdeviceptr dx = upload(in, x, (long) rows * cols);
        CUdeviceptr dg = upload(vec0, gamma, cols), db = upload(vec1, beta, cols);
        cuda.launch("layer_norm", rows, 1, Launches.ROW_THREADS, CudaContext.args(dx, rows, cols, dg, db, eps, dx));
        cuMemcpyDtoH(Pointer.to(y), dx, 4L * rows * cols);
    }

    @Override
    public synchronized void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] y) {
        cuda.makeCurrent();
        String kernel = Launches.attentionKernel(width, heads);
        long rows = (long) batch * seq;
        CUdeviceptr dq = upload(in, qkv, rows * 3 * width);
        CUdeviceptr dy = out.ensure(4 * rows * width);
        int[] grid = Launches.attentionGrid(batch, seq, heads);
        cuda.launch(kernel, grid[0], grid[1], Launches.ATTENTION_QUERIES, CudaContext.args(dq, seq, width, heads, causal ? 1 : 0, dy));
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

    private static CUdeviceptr upload(DeviceBuffer buffer, float[] host, long count) {
        CUdeviceptr d = buffer.ensure(4 * count);
        cuMemcpyHtoD(d, Pointer.to(host), 4 * count);
        return d;
    }

    /** The weight on the device, uploaded on first use: fp32, or fp16 bits for the tensor-core GEMM. */
    private CUdeviceptr weight(Tensor w) {
        return weights.computeIfAbsent(w.data(), s -> {
            float[] f = w.toFloatArray();
            CUdeviceptr d = new CUdeviceptr();
            if (precision == Precision.FP16) {
                short[] h = new short[f.length];
                for (int i = 0; i < f.length; i++) h[i] = Float.floatToFloat16(f[i]);
                cuMemAlloc(d, 2L * h.length);
                cuMemcpyHtoD(d, Pointer.to(h), 2L * h.length);
            } else {
                cuMemAlloc(d, 4L * f.length);
                cuMemcpyHtoD(d, Pointer.to(f), 4L * f.length);
            }
            return d;
        });
    }

    @Override
    public synchronized void close() {
        cuda.makeCurrent();
        for (CUdeviceptr d : weights.values()) cuMemFree(d);
        weights.clear();
        for (DeviceBuffer b : new DeviceBuffer[]{in, in16, out, vec0, vec1}) b.close();
        cuda.close();
    }
}
