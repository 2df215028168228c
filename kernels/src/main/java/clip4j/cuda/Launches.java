package clip4j.cuda;

import clip4j.ClipException;

/**
 * Launch geometry and argument rules of the kernels in src/main/cuda, kept apart from the driver calls so that they
 * are tested on machines without a GPU. Each constant mirrors a #define of the kernel source it names.
 */
final class Launches {
    /** linear.cu: TILE × TILE outputs per block; 256 threads for linear_f32, 4 warps for linear_f16. */
    static final int LINEAR_TILE = 64, LINEAR_F32_THREADS = 256, LINEAR_F16_THREADS = 128;
    /** attention.cu: QT queries per block, one thread each. */
    static final int ATTENTION_QUERIES = 64;
    /** tip.cu: MAX_CLASSES bins of shared memory. */
    static final int TIP_MAX_CLASSES = 4096;
    /** Threads of the grid-stride element-wise kernels, and the most blocks they are given. */
    static final int ELEMENT_THREADS = 256, ELEMENT_MAX_BLOCKS = 65535;
    /** layernorm.cu: one block per row; softmax_rows: one warp per row. */
    static final int ROW_THREADS = 256;

    private Launches() {
    }

    static int ceilDiv(long a, int b) {
        return Math.toIntExact((a + b - 1) / b);
    }

    /** {gridX, gridY} of linear_f32 / linear_f16: output tiles across n, then m. */
    static int[] linearGrid(int m, int n) {
        if (m < 1 || n < 1) throw new IllegalArgumentException("linear needs m, n >= 1, got " + m + ", " + n);
        return new int[]{ceilDiv(n, LINEAR_TILE), ceilDiv(m, LINEAR_TILE)};
    }

    /** Blocks of a grid-stride kernel over count elements. */
    static int elementBlocks(long count) {
        return (int) Math.max(1, Math.min(ELEMENT_MAX_BLOCKS, (count + ELEMENT_THREADS - 1) / ELEMENT_THREADS));
    }

    /** The attention entry point for a head width (attention.cu instantiates 64, 80 and 128). */
    static String attentionKernel(int width, int heads) {
        if (heads < 1 || width % heads != 0) throw new IllegalArgumentException("width " + width + " is not a multiple of " + heads + " heads");
        int hd = width / heads;
        return switch (hd) {
            case 64, 80, 128 -> "attention_hd" + hd;
            default -> throw new ClipException("the CUDA attention kernel has no head width " + hd + " (64, 80, 128)");
        };
    }

    /** {gridX, gridY} of attention: (sequence, head) pairs, then query tiles. */
    static int[] attentionGrid(int batch, int seq, int heads) {
        return new int[]{Math.multiplyExact(batch, heads), ceilDiv(seq, ATTENTION_QUERIES)};
    }

    /** Blocks of softmax_rows (one warp per row, ROW_THREADS / 32 rows per block). */
    static int softmaxBlocks(int rows) {
        return ceilDiv(rows, ROW_THREADS / 32);
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
