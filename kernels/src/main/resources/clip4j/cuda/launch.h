// Launch geometry and argument flags of the CUDA kernels, written once: the kernels (src/main/cuda) include this file,
// the Java launcher (Launches.java) reads it from the jar, and the CPU emulation tests (src/test/cuda) include it.
// Plain integer #defines only (Launches parses "#define NAME value"); what a kernel derives from them it checks with
// static_assert.

// linear_f32: LINEAR_F32_TILE x LINEAR_F32_TILE outputs per block of LINEAR_F32_THREADS threads
#define LINEAR_F32_TILE 128
#define LINEAR_F32_THREADS 256
// tensor-core linear: LINEAR_TC_TILE x LINEAR_TC_TILE outputs per block of LINEAR_TC_THREADS threads, K steps of
// LINEAR_TC_BK; the _x16 kernels keep LINEAR_TC_STAGES K steps in flight in LINEAR_TC16_SHARED bytes of dynamic
// shared memory (stages x both tiles x (LINEAR_TC_BK + 8 padding) x 2 bytes)
#define LINEAR_TC_TILE 128
#define LINEAR_TC_THREADS 256
#define LINEAR_TC_BK 32
#define LINEAR_TC_STAGES 3
#define LINEAR_TC16_SHARED 61440
// the GEMM epilogue's flags: bits 0-1 the activation, bit 2 accumulate into y (the residual add), bit 3 a ReLU after
// both (a ResNet's convolutions, and the end of its blocks)
#define EPI_NONE 0
#define EPI_QUICK_GELU 1
#define EPI_GELU 2
#define EPI_ACT_MASK 3
#define EPI_ACCUMULATE 4
#define EPI_RELU 8
// fp32 attention: ATTENTION_QUERIES queries per block, one thread each
#define ATTENTION_QUERIES 64
// tensor-core attention: ATTENTION_TC_WARP_QUERIES queries a warp, ATTENTION_TC_WARPS warps a block, and
// ATTENTION_TC_WARPS_HD128 at head width 128 (its shared memory stays under 48 KB)
#define ATTENTION_TC_WARP_QUERIES 16
#define ATTENTION_TC_WARPS 4
#define ATTENTION_TC_WARPS_HD128 2
// meta_refine: one block per class, attention weights of the class embedding and its supports in shared memory
#define META_MAX_SLOTS 1024
// grid-stride element-wise kernels: threads per block, and the most blocks they are given
#define ELEMENT_THREADS 256
#define ELEMENT_MAX_BLOCKS 65535
// one warp per row (layer_norm, softmax_rows: ROW_THREADS / 32 rows a block), one thread per class (tip_cache_logits),
// one block per class (meta_refine)
#define ROW_THREADS 256
