package clip4j.cuda;

import clip4j.backend.AdapterKernels;
import clip4j.backend.Backend;
import clip4j.backend.EngineOptions.Precision;
import clip4j.backend.Epilogue;
import clip4j.backend.Im2col;
import clip4j.backend.ScalarBackend;
import clip4j.io.HalfFloats;
import clip4j.io.Tensor;
import clip4j.model.PooledHead;
import clip4j.model.ResidualAttentionBlock;
import clip4j.model.TextTransformer;
import clip4j.model.TowerRunner;
import clip4j.model.Transformer;
import clip4j.model.VisionTransformer;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

/**
 * The engine's {@link Backend} on an NVIDIA GPU with the kernels of src/main/cuda. Model matrices are uploaded once per
 * tensor and kept until close: fp32 for the SIMT GEMM, or fp16 / bf16 copies for the tensor-core GEMM (the options'
 * precision); activations stay fp32. As a {@link TowerRunner} it runs both encoders whole on the device
 * ({@link #vision}: one upload of the pixels and one download of the features; {@link #text}: one upload of the token
 * ids), with bias, activation and residual add fused into the GEMMs; as {@link AdapterKernels}, Tip-Adapter's cache
 * logits and Meta-Adapter's refinement. The single operations of the
 * interface cross to the device and back one at a time. Calls are serialised (one context, one stream).
 */
public final class CudaBackend implements Backend, TowerRunner, AdapterKernels {

    private static final CUdeviceptr NULL = new CUdeviceptr();

    private final CudaContext cuda;
    private final Precision precision;
    /** The kernels' name for the 16-bit type ("f16", "bf16"), or "" for fp32. */
    private final String type;
    private final Map<MemorySegment, CUdeviceptr> weights = new IdentityHashMap<>();
    /** Lookup tables (the token embedding), fp32 in every precision. */
    private final Map<MemorySegment, CUdeviceptr> tables = new IdentityHashMap<>();
    /** Model vectors (biases, LayerNorm weights, embeddings) by array identity, uploaded once like the matrices. */
    private final Map<float[], CUdeviceptr> vectors = new IdentityHashMap<>();
    /** Activation buffers by role, grown to the largest call and reused. */
    private final Map<String, DeviceBuffer> buffers = new HashMap<>();

    public CudaBackend(Precision precision) {
        this.cuda = CudaContext.open();
        this.precision = precision;
        this.type = switch (precision) {
            case FP32 -> "";
            case FP16 -> "f16";
            case BF16 -> "bf16";
        };
    }

    /** The context, for the device check's kernel timings. */
    CudaContext context() {
        return cuda;
    }

    @Override
    public String name() {
        return "cuda (" + cuda.deviceName + ", driver CUDA " + Launches.versionString(cuda.driverVersion) + ", "
                + (type.isEmpty() ? "fp32" : type + " tensor cores, " + type + " activations in the blocks") + ")";
    }

    /** Whole batches of 256 images reach the device (a CPU backend takes 8). */
    @Override
    public int imageBatch() {
        return 256;
    }

    @Override
    public synchronized void linear(float[] x, int m, int k, Tensor w, float[] bias, float[] y, Epilogue epilogue) {
        ScalarBackend.checkLinear(x, m, k, w, bias, y);
        cuda.makeCurrent();
        int n = Math.toIntExact(w.shape()[0]);
        CUdeviceptr dy = epilogue.accumulates() ? upload("y", y, (long) m * n) : buf("y", 4L * m * n);
        linearOn("", upload("x", x, (long) m * k), m, k, n, device(w, "w"), bias == null ? NULL : upload("bias", bias, n), dy,
                Launches.epilogue(epilogue));
        cuMemcpyDtoH(Pointer.to(y), dy, 4L * m * n);
    }

    /** A convolution as the product of its im2col rows, both on the device, the epilogue in the GEMM kernel. */
    @Override
    public synchronized void conv2d(float[] x, int batch, int h, int w, int c, Tensor weight, int kernel, float[] bias, int stride, int pad,
                                    float[] out, Epilogue epilogue) {
        Im2col im = Im2col.of(batch, h, w, c, kernel, stride, pad);
        im.check(x, weight, bias, out);
        int n = Math.toIntExact(weight.shape()[0]), rows = im.rows(), k = im.cols();
        if (rows == 0) return;
        cuda.makeCurrent();
        CUdeviceptr dx = upload("x", x, (long) batch * h * w * c), dp = dx;
        if (!im.identity()) {
            dp = buf("patches", 4L * rows * k);
            cuda.launch("im2col_nhwc", Launches.elementBlocks((long) rows * k), 1, Launches.ELEMENT_THREADS,
                    CudaContext.args(dx, batch, h, w, c, kernel, stride, pad, im.oh(), im.ow(), dp));
        }
        CUdeviceptr dy = epilogue.accumulates() ? upload("y", out, (long) rows * n) : buf("y", 4L * rows * n);
        linearOn("", dp, rows, k, n, device(weight, "w"), bias == null ? NULL : upload("bias", bias, n), dy, Launches.epilogue(epilogue));
        cuMemcpyDtoH(Pointer.to(out), dy, 4L * rows * n);
    }

    @Override
    public synchronized void avgPool2d(float[] x, int batch, int h, int w, int c, int kernel, float[] out) {
        Backend.checkAvgPool(x, batch, h, w, c, kernel, out);
        long n = (long) batch * (h / kernel) * (w / kernel) * c;
        if (n == 0) return;
        cuda.makeCurrent();
        CUdeviceptr dx = upload("x", x, (long) batch * h * w * c), dy = buf("y", 4 * n);
        cuda.launch("avg_pool_nhwc", Launches.elementBlocks(n), 1, Launches.ELEMENT_THREADS, CudaContext.args(dx, batch, h, w, c, kernel, dy));
        cuMemcpyDtoH(Pointer.to(out), dy, 4 * n);
    }

    @Override
    public synchronized void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] y) {
        cuda.makeCurrent();
        CUdeviceptr dx = upload("x", x, (long) rows * cols);
        layerNormOn("layer_norm", dx, rows, cols, upload("gamma", gamma, cols), upload("beta", beta, cols), eps, dx, NULL);
        cuMemcpyDtoH(Pointer.to(y), dx, 4L * rows * cols);
    }

    @Override
    public synchronized void attention(float[] qkv, int batch, int seq, int width, int heads, boolean causal, float[] y) {
        cuda.makeCurrent();
        long rows = (long) batch * seq;
        CUdeviceptr dy = buf("y", 4 * rows * width);
        attentionOn("", upload("x", qkv, rows * 3 * width), batch, seq, width, heads, causal, dy);
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
        CUdeviceptr dx = upload("x", x, n);
        cuda.launch(kernel, Launches.elementBlocks(n), 1, Launches.ELEMENT_THREADS, CudaContext.args(dx, (long) n));
        cuMemcpyDtoH(Pointer.to(x), dx, 4L * n);
    }

    @Override
    public synchronized void softmax(float[] x, int off, int n) {
        cuda.makeCurrent();
        CUdeviceptr dx = buf("x", 4L * n);
        cuMemcpyHtoD(dx, Pointer.to(x).withByteOffset(4L * off), 4L * n);
        cuda.launch("softmax_rows", Launches.rowBlocks(1), 1, Launches.ROW_THREADS, CudaContext.args(dx, 1, n));
        cuMemcpyDtoH(Pointer.to(x).withByteOffset(4L * off), dx, 4L * n);
    }

    /**
     * The whole block stack with x on the device: one upload, every operation on device buffers, one download (what
     * both towers run in the middle; on its own for the tests).
     */
    synchronized void transformer(Transformer t, float[] x, int batch, int seq) {
        cuda.makeCurrent();
        long count = (long) batch * seq * t.width();
        CUdeviceptr dx = upload("tokens", x, count);
        blocksOn(dx, batch, seq, t);
        cuMemcpyDtoH(Pointer.to(x), dx, 4 * count);
    }

    /**
     * The image tower (upstream clip/model.py {@code VisionTransformer.forward}; docs/forward-pass.md#image-tower) on the
     * device: the pixels go up (each image straight to its place), the features come down.
     */
    @Override
    public synchronized boolean vision(VisionTransformer t, List<float[]> images, float[] out) {
        cuda.makeCurrent();
        CUdeviceptr features = visionOn(t, uploadImages(t, images), images.size());
        cuMemcpyDtoH(Pointer.to(out), features, 4L * images.size() * t.head().embedDim());
        return true;
    }

    /**
     * The text tower (upstream clip/model.py {@code CLIP.encode_text}; docs/forward-pass.md#text-tower) on the device:
     * the token ids go up, the features come down.
     */
    @Override
    public synchronized boolean text(TextTransformer t, int[] tokens, int batch, int seq, int[] pool, float[] out) {
        cuda.makeCurrent();
        int rows = Math.multiplyExact(batch, seq);
        CUdeviceptr dx = buf("tokens", 4L * rows * t.width());
        cuda.launch("text_tokens", Launches.elementBlocks((long) rows * t.width()), 1, Launches.ELEMENT_THREADS,
                CudaContext.args(uploadInts("ids", tokens, rows), table(t.tokenEmbedding()), vector(t.positionalEmbedding()), rows, seq, t.width(), dx));
        blocksOn(dx, batch, seq, t.transformer());
        CUdeviceptr features = headOn(t.head(), dx, t.width(), pool, batch);
        cuMemcpyDtoH(Pointer.to(out), features, 4L * batch * t.head().embedDim());
        return true;
    }

    /**
     * Both products and the cache aggregation on the device (tip.cu), the affinities never leaving it; the labels go up
     * as a class index so the aggregation needs no atomics and is the same on every run.
     */
    @Override
    public synchronized boolean tipAdapterLogits(float[] x, int q, int d, Tensor classWeights, Tensor keys, int[] labels, double scale,
                                              double alpha, double beta, float[] out) {
        int n = Math.toIntExact(classWeights.shape()[0]), nk = Math.toIntExact(keys.shape()[0]);
        cuda.makeCurrent();
        CUdeviceptr dx = upload("x", x, (long) q * d);
        CUdeviceptr zs = buf("zeroShot", 4L * q * n), aff = buf("affinity", 4L * q * Math.max(nk, 1)), logits = buf("y", 4L * q * n);
        linearOn("", dx, q, d, n, device(classWeights, "w"), NULL, zs, Launches.EPI_NONE);
        if (nk > 0) linearOn("", dx, q, d, nk, device(keys, "keys"), NULL, aff, Launches.EPI_NONE);
        int[][] index = Launches.classIndex(labels, n);
        CUdeviceptr order = Launches.inOrder(index[0]) ? NULL : uploadInts("order", index[0], index[0].length), offsets = uploadInts("offsets", index[1], index[1].length);
        int[] grid = Launches.tipGrid(q, n);
        cuda.launch("tip_cache_logits", grid[0], grid[1], Launches.ROW_THREADS,
                CudaContext.args(aff, order, offsets, zs, q, nk, n, (float) scale, (float) alpha, (float) beta, logits));
        cuMemcpyDtoH(Pointer.to(out), logits, 4L * q * n);
        return true;
    }

    /**
     * Both products by the GEMM, then one block per class for the attention, gate and normalisation (meta.cu); declined
     * when a class has more supports than its shared memory holds.
     */
    @Override
    public synchronized boolean metaAdapterRefine(float[] w, int classes, int d, float[] support, int[] offsets, Tensor qProj, Tensor kProjT,
                                               float[] alphaWeight, float alphaBias, float[] out) {
        for (int c = 0; c < classes; c++) {
            if (offsets[c + 1] - offsets[c] > Launches.META_MAX_SUPPORTS) return false;
        }
        cuda.makeCurrent();
        long rows = (long) classes * d;
        CUdeviceptr dw = upload("x", w, rows), q = buf("metaQ", 4 * rows), qk = buf("metaQk", 4 * rows), y = buf("y", 4 * rows);
        linearOn("", dw, classes, d, d, device(qProj, "w"), NULL, q, Launches.EPI_NONE);
        linearOn("", q, classes, d, d, device(kProjT, "keys"), NULL, qk, Launches.EPI_NONE);
        CUdeviceptr ds = upload("support", support, Math.max(1, (long) offsets[classes] * d)), doff = uploadInts("offsets", offsets, classes + 1);
        cuda.launch("meta_refine", classes, 1, Launches.ROW_THREADS,
                CudaContext.args(dw, ds, doff, qk, classes, d, upload("gamma", alphaWeight, d), alphaBias, y));
        cuMemcpyDtoH(Pointer.to(out), y, 4 * rows);
        return true;
    }

    // ---- the encoders on device buffers -------------------------------------------------------------------------

    /**
     * The image tower (docs/forward-pass.md#image-tower, steps 1-7) on pixels already on the device; the features
     * [batch, E] stay on the device.
     */
    CUdeviceptr visionOn(VisionTransformer t, CUdeviceptr pixels, int batch) {
        int g = t.grid(), w = t.width(), n = t.tokens(), k = 3 * t.patchSize() * t.patchSize(), patchRows = batch * g * g;
        CUdeviceptr patches = buf("patches", 4L * patchRows * k);
        cuda.launch("unfold_patches", Launches.elementBlocks((long) patchRows * k), 1, Launches.ELEMENT_THREADS,
                CudaContext.args(pixels, batch, t.imageSize(), t.patchSize(), patches));
        CUdeviceptr emb = buf("emb", 4L * patchRows * w);
        linearOn("", patches, patchRows, k, w, weight(t.patchWeight()), NULL, emb, Launches.EPI_NONE);
        CUdeviceptr x = buf("tokens", 4L * batch * n * w);
        cuda.launch("vision_tokens", Launches.elementBlocks((long) batch * n * w), 1, Launches.ELEMENT_THREADS,
                CudaContext.args(emb, vector(t.classEmbedding()), vector(t.positionalEmbedding()), batch, n, w, x));
        layerNormOn("layer_norm", x, batch * n, w, vector(t.lnPreWeight()), vector(t.lnPreBias()), t.transformer().eps(), x, NULL);
        blocksOn(x, batch, n, t.transformer());
        int[] classRows = new int[batch];
        for (int b = 0; b < batch; b++) classRows[b] = b * n;
        return headOn(t.head(), x, w, classRows, batch);
    }

    /**
     * The residual blocks (upstream clip/model.py {@code ResidualAttentionBlock}; docs/forward-pass.md#residual-block) on
     * x [batch·seq, w] (fp32, in place): five kernels a block, the biases, the
     * MLP's activation and both residual adds in the GEMM epilogues. On tensor cores the LayerNorm outputs, qkv, the
     * attention output and the MLP's hidden layer are 16-bit, so every GEMM reads and the attention reads and writes
     * half the bytes; the residual stream x stays fp32.
     */
    private void blocksOn(CUdeviceptr x, int batch, int seq, Transformer t) {
        int w = t.width(), heads = t.heads();
        boolean causal = t.causal();
        float eps = t.eps();
        int rows = Math.multiplyExact(batch, seq);
        boolean tc = !type.isEmpty();
        String ln = tc ? "layer_norm_" + type : "layer_norm", toActs = tc ? "_x16_y16" : "", toStream = tc ? "_x16" : "";
        long bytes = (tc ? 2L : 4L) * rows * w;
        CUdeviceptr h = buf("h", bytes), qkv = buf("qkv", 3 * bytes), attn = buf("attn", bytes), mlp = buf("mlp", 4 * bytes);
        for (ResidualAttentionBlock b : t.resblocks()) {
            layerNormOn(ln, x, rows, w, vector(b.ln1Weight()), vector(b.ln1Bias()), eps, h, NULL);
            linearOn(toActs, h, rows, w, 3 * w, weight(b.inProj()), vector(b.inProjBias()), qkv, Launches.EPI_NONE);
            attentionOn(type, qkv, batch, seq, w, heads, causal, attn);
            linearOn(toStream, attn, rows, w, w, weight(b.outProj()), vector(b.outProjBias()), x, Launches.EPI_ACCUMULATE);
            layerNormOn(ln, x, rows, w, vector(b.ln2Weight()), vector(b.ln2Bias()), eps, h, NULL);
            linearOn(toActs, h, rows, w, 4 * w, weight(b.cFc()), vector(b.cFcBias()), mlp, Launches.epilogue(t.activation().epilogue()));
            linearOn(toStream, mlp, rows, 4 * w, w, weight(b.cProj()), vector(b.cProjBias()), x, Launches.EPI_ACCUMULATE);
        }
    }

    /** LayerNorm of the rows pool[b] of x, then the projection: features [pool.length, E] on the device. */
    private CUdeviceptr headOn(PooledHead head, CUdeviceptr x, int width, int[] pool, int n) {
        float eps = head.eps();
        int e = head.embedDim();
        CUdeviceptr pooled = buf("pooled", 4L * n * width), features = buf("features", 4L * n * e);
        layerNormOn("layer_norm", x, n, width, vector(head.lnWeight()), vector(head.lnBias()), eps, pooled, uploadInts("pool", pool, n));
        linearOn("", pooled, n, width, e, weight(head.proj()), NULL, features, Launches.EPI_NONE);
        return features;
    }

    // ---- single operations on device buffers --------------------------------------------------------------------

    /**
     * dy = epilogue(dx·Wᵀ + b) on the device (epilogue.cuh flags); dw as {@link #weight} or {@link #device} made it.
     * io names the tensor-core variant: "" (fp32 x and y), "_x16" (16-bit x) or "_x16_y16" (16-bit x and y).
     */
    private void linearOn(String io, CUdeviceptr dx, int m, int k, int n, CUdeviceptr dw, CUdeviceptr db, CUdeviceptr dy, int flags) {
        boolean tc = !type.isEmpty();
        int[] grid = Launches.linearGrid(m, n, tc);
        String kernel = tc ? "linear_" + type + io : "linear_f32";
        cuda.launch(kernel, grid[0], grid[1], tc ? Launches.LINEAR_TC_THREADS : Launches.LINEAR_F32_THREADS, Launches.linearShared(kernel),
                CudaContext.args(dx, dw, db, dy, m, k, n, flags));
    }

    private void layerNormOn(String kernel, CUdeviceptr dx, int rows, int cols, CUdeviceptr gamma, CUdeviceptr beta, float eps,
                             CUdeviceptr dy, CUdeviceptr index) {
        cuda.launch(kernel, Launches.rowBlocks(rows), 1, Launches.ROW_THREADS, CudaContext.args(dx, rows, cols, gamma, beta, eps, dy, index));
    }

    /** Attention on fp32 qkv (kernelType "") or on 16-bit qkv with tensor cores ("f16", "bf16"). */
    private void attentionOn(String kernelType, CUdeviceptr dq, int batch, int seq, int width, int heads, boolean causal, CUdeviceptr dy) {
        int[] grid = Launches.attentionGrid(kernelType, batch, seq, width, heads);
        cuda.launch(Launches.attentionKernel(kernelType, width, heads), grid[0], grid[1], Launches.attentionThreads(kernelType, width, heads),
                CudaContext.args(dq, seq, width, heads, causal ? 1 : 0, dy));
    }

    // ---- device memory ------------------------------------------------------------------------------------------

    /** The activation buffer of this role with room for at least bytes. */
    private CUdeviceptr buf(String role, long bytes) {
        return buffers.computeIfAbsent(role, r -> new DeviceBuffer()).ensure(bytes);
    }

    private CUdeviceptr upload(String role, float[] host, long count) {
        CUdeviceptr d = buf(role, 4 * count);
        cuMemcpyHtoD(d, Pointer.to(host), 4 * count);
        return d;
    }

    /** The images one after another in the pixel buffer, [batch, 3, R, R], without packing them on the host first. */
    CUdeviceptr uploadImages(VisionTransformer t, List<float[]> images) {
        t.checkImages(images);
        long per = 4L * 3 * t.imageSize() * t.imageSize();
        CUdeviceptr d = buf("pixels", per * images.size());
        for (int i = 0; i < images.size(); i++) cuMemcpyHtoD(d.withByteOffset(per * i), Pointer.to(images.get(i)), per);
        return d;
    }

    /** host[0, count) on the device. */
    private CUdeviceptr uploadInts(String role, int[] host, int count) {
        CUdeviceptr d = buf(role, 4L * Math.max(1, count));
        cuMemcpyHtoD(d, Pointer.to(host), 4L * count);
        return d;
    }

    /** A matrix on the device: a mapped model weight from the cache, any other (adapter matrices) copied per call. */
    private CUdeviceptr device(Tensor w, String role) {
        if (w.data().isNative()) return weight(w);
        HostMatrix h = host(w);
        CUdeviceptr d = buf(role, h.bytes());
        cuMemcpyHtoD(d, h.data(), h.bytes());
        return d;
    }

    /** A matrix on the host as the GEMM reads it on the device: fp32, or fp16 / bf16 bits for the tensor cores. */
    private record HostMatrix(Pointer data, long bytes) {
    }

    private HostMatrix host(Tensor w) {
        float[] f = w.toFloatArray();
        if (precision == Precision.FP32) return new HostMatrix(Pointer.to(f), 4L * f.length);
        short[] h = new short[f.length];
        for (int i = 0; i < f.length; i++) h[i] = precision == Precision.FP16 ? HalfFloats.floatToF16(f[i]) : HalfFloats.floatToBf16(f[i]);
        return new HostMatrix(Pointer.to(h), 2L * h.length);
    }

    /** A model table (the token embedding) on the device in fp32 whatever the precision, uploaded on first use. */
    private CUdeviceptr table(Tensor t) {
        return tables.computeIfAbsent(t.data(), s -> {
            float[] f = t.toFloatArray();
            CUdeviceptr d = new CUdeviceptr();
            cuMemAlloc(d, 4L * f.length);
            cuMemcpyHtoD(d, Pointer.to(f), 4L * f.length);
            return d;
        });
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

    /** A model matrix on the device, uploaded on first use as {@link #host} converts it. */
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
        for (CUdeviceptr d : tables.values()) cuMemFree(d);
        tables.clear();
        weights.clear();
        vectors.clear();
        buffers.values().forEach(DeviceBuffer::close);
        buffers.clear();
        cuda.close();
    }
}
