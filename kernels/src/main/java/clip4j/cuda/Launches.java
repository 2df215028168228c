package clip4j.cuda;

import clip4j.ClipException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Launch geometry and argument rules of the kernels in src/main/cuda, kept apart from the driver calls so that they
 * are tested on machines without a GPU. The numbers come from launch.h, the one file the kernels, this class and the
 * emulation tests (src/test/cuda) all read: it ships in the jar next to the PTX.
 */
final class Launches {
    private static final Map<String, Integer> H = readHeader();
    /** linear_f32's LINEAR_F32_TILE × LINEAR_F32_TILE outputs per block. */
    static final int LINEAR_F32_TILE = require("LINEAR_F32_TILE"), LINEAR_F32_THREADS = require("LINEAR_F32_THREADS");
    /** The tensor-core kernels' LINEAR_TC_TILE × LINEAR_TC_TILE outputs per block. */
    static final int LINEAR_TC_TILE = require("LINEAR_TC_TILE"), LINEAR_TC_THREADS = require("LINEAR_TC_THREADS");
    /** The dynamic shared memory of the _x16 kernels (their cp.async ring). */
    static final int LINEAR_TC16_SHARED = require("LINEAR_TC16_SHARED");
    /** The GEMM epilogue: the activation in bits 0-1, accumulate into y in bit 2, a ReLU after both in bit 3. */
    static final int EPI_NONE = require("EPI_NONE"), EPI_QUICK_GELU = require("EPI_QUICK_GELU"), EPI_GELU = require("EPI_GELU"),
            EPI_ACCUMULATE = require("EPI_ACCUMULATE"), EPI_RELU = require("EPI_RELU");
    /** attention.cu: queries per fp32 block, one thread each; the tensor-core kernels' queries a warp and warps a block. */
    static final int ATTENTION_QUERIES = require("ATTENTION_QUERIES"), ATTENTION_TC_WARP_QUERIES = require("ATTENTION_TC_WARP_QUERIES"),
            ATTENTION_TC_WARPS = require("ATTENTION_TC_WARPS"), ATTENTION_TC_WARPS_HD128 = require("ATTENTION_TC_WARPS_HD128");
    /** meta.cu: the class embedding and at most this many supports per class fit its shared memory. */
    static final int META_MAX_SUPPORTS = require("META_MAX_SLOTS") - 1;
    /** Threads of the grid-stride element-wise kernels, and the most blocks they are given. */
    static final int ELEMENT_THREADS = require("ELEMENT_THREADS"), ELEMENT_MAX_BLOCKS = require("ELEMENT_MAX_BLOCKS");
    /** meta.cu: one block per class; layernorm.cu and softmax_rows: one warp per row; tip.cu: one thread per class. */
    static final int ROW_THREADS = require("ROW_THREADS");

    private static int require(String name) {
        Integer v = H.get(name);
        if (v == null) throw new IllegalStateException("launch.h defines no " + name);
        return v;
    }

    /** launch.h's "#define NAME integer" lines. */
    private static Map<String, Integer> readHeader() {
        try (InputStream in = Launches.class.getResourceAsStream("launch.h")) {
            if (in == null) throw new IllegalStateException("launch.h is missing from the kernels jar");
            Map<String, Integer> m = new HashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.strip().split("\\s+");
                if (f.length == 3 && f[0].equals("#define")) m.put(f[1], Integer.parseInt(f[2]));
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Launches() {
    }

    static int ceilDiv(long a, int b) {
        return Math.toIntExact((a + b - 1) / b);
    }

    /** {gridX, gridY} of linear_f32 or the tensor-core linear: output tiles across n, then m. */
    static int[] linearGrid(int m, int n, boolean tensorCores) {
        if (m < 1 || n < 1) throw new IllegalArgumentException("linear needs m, n >= 1, got " + m + ", " + n);
        int tile = tensorCores ? LINEAR_TC_TILE : LINEAR_F32_TILE;
        return new int[]{ceilDiv(n, tile), ceilDiv(m, tile)};
    }

    /** Dynamic shared memory of a linear kernel: the cp.async ring of the _x16 variants, none for the others. */
    static int linearShared(String kernel) {
        return kernel.contains("_x16") ? LINEAR_TC16_SHARED : 0;
    }

    /** The epilogue flags of a GEMM: the MLP's activation, accumulation into y (a residual add), a ResNet's ReLU. */
    static int epilogue(clip4j.backend.Epilogue e) {
        return switch (e) {
            case NONE -> EPI_NONE;
            case QUICK_GELU -> EPI_QUICK_GELU;
            case GELU -> EPI_GELU;
            case RESIDUAL -> EPI_ACCUMULATE;
            case RELU -> EPI_RELU;
            case RESIDUAL_RELU -> EPI_ACCUMULATE | EPI_RELU;
        };
    }

    /** Blocks of a grid-stride kernel over count elements. */
    static int elementBlocks(long count) {
        return (int) Math.max(1, Math.min(ELEMENT_MAX_BLOCKS, (count + ELEMENT_THREADS - 1) / ELEMENT_THREADS));
    }

    /** The head width, which attention.cu instantiates for 64 (every OpenAI CLIP), 80 (ViT-H/14) and 128. */
    static int headWidth(int width, int heads) {
        if (heads < 1 || width % heads != 0) throw new IllegalArgumentException("width " + width + " is not a multiple of " + heads + " heads");
        int hd = width / heads;
        if (hd != 64 && hd != 80 && hd != 128) throw new ClipException("the CUDA attention kernel has no head width " + hd + " (64, 80, 128)");
        return hd;
    }

    /** The attention entry point: fp32 (type "") or tensor cores on 16-bit activations (type "f16" or "bf16"). */
    static String attentionKernel(String type, int width, int heads) {
        return "attention_" + (type.isEmpty() ? "" : type + "_") + "hd" + headWidth(width, heads);
    }

    /** Queries per attention block: one per thread for fp32; on tensor cores a warp's queries times the warps of a block. */
    static int attentionQueries(String type, int width, int heads) {
        if (type.isEmpty()) return ATTENTION_QUERIES;
        return (headWidth(width, heads) == 128 ? ATTENTION_TC_WARPS_HD128 : ATTENTION_TC_WARPS) * ATTENTION_TC_WARP_QUERIES;
    }

    /** Threads per attention block. */
    static int attentionThreads(String type, int width, int heads) {
        int q = attentionQueries(type, width, heads);
        return type.isEmpty() ? q : q / ATTENTION_TC_WARP_QUERIES * 32;
    }

    /** {gridX, gridY} of attention: (sequence, head) pairs, then query tiles. */
    static int[] attentionGrid(String type, int batch, int seq, int width, int heads) {
        return new int[]{Math.multiplyExact(batch, heads), ceilDiv(seq, attentionQueries(type, width, heads))};
    }

    /** {gridX, gridY} of tip_cache_logits: queries, then blocks of ROW_THREADS classes. */
    static int[] tipGrid(int queries, int classes) {
        return new int[]{queries, ceilDiv(classes, ROW_THREADS)};
    }

    /** Blocks of the warp-per-row kernels, softmax_rows and layer_norm (ROW_THREADS / 32 rows per block). */
    static int rowBlocks(int rows) {
        return ceilDiv(rows, ROW_THREADS / 32);
    }

    /**
     * The class index of tip.cu and meta.cu from per-key class labels: order lists the keys class by class (stable),
     * offsets[c] .. offsets[c+1] delimits class c's share of it. Labels outside [0, classes) are a one-line error.
     */
    static int[][] classIndex(int[] labels, int classes) {
        int[] offsets = new int[classes + 1], order = new int[labels.length], fill = new int[classes];
        for (int l : labels) {
            if (l < 0 || l >= classes) throw new ClipException("cache label " + l + " outside the " + classes + " classes");
            offsets[l + 1]++;
        }
        for (int c = 0; c < classes; c++) offsets[c + 1] += offsets[c];
        for (int j = 0; j < labels.length; j++) order[offsets[labels[j]] + fill[labels[j]]++] = j;
        return new int[][]{order, offsets};
    }

    /** Whether a class index's order is the identity (keys stored class by class): tip.cu then takes no order. */
    static boolean inOrder(int[] order) {
        for (int i = 0; i < order.length; i++) if (order[i] != i) return false;
        return true;
    }

    /** The driver is new enough for PTX ISA 9.0 (nvcc 13): CUDA 13.0, driver branch r580. Null when fine. */
    static String driverProblem(int cudaDriverVersion) {
        if (cudaDriverVersion >= 13000) return null;
        return "the CUDA driver supports CUDA " + versionString(cudaDriverVersion) + "; clip4j's PTX (ISA 9.0, nvcc 13) needs CUDA 13.0 "
                + "or newer (driver 580+)";
    }

    /** cuDriverGetVersion's 1000·major + 10·minor as "major.minor". */
    static String versionString(int v) {
        return v / 1000 + "." + (v % 1000) / 10;
    }
}
