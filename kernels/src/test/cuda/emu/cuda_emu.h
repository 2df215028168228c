// A CPU emulation of the CUDA C subset that kernels/src/main/cuda uses, so the kernels' indexing, tiling, barriers,
// warp shuffles and wmma tiles are tested on machines without a GPU (KernelEmulationTest). g++ compiles each .cu with
// this header forced in (-include cuda_emu.h); cuda_fp16.h, cuda_bf16.h and mma.h beside it only include it.
//
// Model: a launch runs its blocks one after another; the threads of a block are cooperative fibers (ucontext) on one
// OS thread, switched only at __syncthreads, __syncwarp, shuffles and wmma calls, so shared memory (`static` locals)
// belongs to the block in flight. A barrier releases when every live thread of the block (or warp) has arrived;
// exited threads count as arrived, as on sm_70+. wmma fragments hold 8 of a tile's 256 elements per lane (lane l:
// elements l, l+32, ...), so a kernel that assumed a fragment layout, or skipped a lane, computes wrong numbers here.
// Checked as the hardware would fault or misbehave: wmma tile pointers (256-bit aligned, ldm a multiple of 16 bytes);
// with -fsanitize=alignment (build.sh), every vector load and store (float4, uint4, uint2 carry CUDA's alignment).
// Dynamic shared memory and the static __shared__ variables of non-template functions start every block poisoned (all
// bits set: NaN in every float type), so a kernel that reads what no thread wrote computes NaN; g++ ignores the
// section attribute on a template's static locals, which keep what the previous block left.
// Not emulated: races between threads as such (fibers never interleave between barriers; running the checks in each
// scheduling order, see order(), exposes many), memory-model subtleties, timing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <memory>
#include <ucontext.h>
#include <vector>

#define CLIP4J_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
// static __shared__ variables live in one section, which launch() poisons (all bits set: NaN) before each block
#define __shared__ static __attribute__((section("emu_shared")))
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(16) uint4 {
    unsigned x, y, z, w;
};
struct alignas(8) uint2 {
    unsigned x, y;
};

extern "C" char __start_emu_shared[] __attribute__((weak)), __stop_emu_shared[] __attribute__((weak));

namespace emu {
inline dim3 threadIdx_, blockIdx_, blockDim_, gridDim_;

/** One cp.async copy: done when its group is waited for, as on the GPU, so a kernel that reads early sees stale data. */
struct AsyncCopy {
    void *dst;
    const void *src;
    size_t bytes, zfill;
};

struct Fiber {
    ucontext_t ctx;
    unsigned tid;
    bool done = false;
    long blockWait = -1;  // the block barrier generation this fiber waits for, -1 when none
    std::vector<AsyncCopy> open;                  // issued, not yet committed
    std::vector<std::vector<AsyncCopy>> groups;   // committed, oldest first
};

struct Block {
    std::vector<Fiber> fibers;
    ucontext_t scheduler;
    int current = 0, live = 0;
    long progress = 0;  // barrier arrivals and finished threads so far: the warp-at-a-time order stops when it stalls
    long blockGen = 0;
    int blockArrived = 0;
    std::vector<long> warpGen;
    std::vector<int> warpArrived, warpLive;
    std::vector<float> exchange;  // 32 floats per warp for shuffles
    std::vector<float> mmaA, mmaB, mmaC;  // 256 floats per warp for wmma
    const std::function<void()> *body = nullptr;
    std::vector<unsigned char> dynamicShared;  // extern __shared__, poisoned (all bits set: NaN) for every block
};
inline Block *block_ = nullptr;

inline void setIndex(const Fiber &f) {
    threadIdx_.x = f.tid % blockDim_.x;
    threadIdx_.y = f.tid / blockDim_.x % blockDim_.y;
    threadIdx_.z = f.tid / (blockDim_.x * blockDim_.y);
}

inline void yield() {
    Block &b = *block_;
    swapcontext(&b.fibers[b.current].ctx, &b.scheduler);
    setIndex(b.fibers[b.current]);
}

inline unsigned linearTid() {
    return threadIdx_.x + blockDim_.x * (threadIdx_.y + blockDim_.y * threadIdx_.z);
}

inline void syncBlock() {
    Block &b = *block_;
    long gen = b.blockGen;
    b.progress++;
    if (++b.blockArrived == b.live) {
        b.blockArrived = 0;
        b.blockGen++;
        return;
    }
    b.fibers[b.current].blockWait = gen;
    while (b.blockGen == gen) yield();
    b.fibers[b.current].blockWait = -1;
}

inline void syncWarp() {
    Block &b = *block_;
    unsigned w = linearTid() / 32;
    long gen = b.warpGen[w];
    b.progress++;
    if (++b.warpArrived[w] == b.warpLive[w]) {
        b.warpArrived[w] = 0;
        b.warpGen[w]++;
        return;
    }
    while (b.warpGen[w] == gen) yield();
}

inline void complete(const std::vector<AsyncCopy> &group) {
    for (const AsyncCopy &c : group) {
        std::memcpy(c.dst, c.src, c.bytes - c.zfill);
        std::memset(static_cast<char *>(c.dst) + c.bytes - c.zfill, 0, c.zfill);
    }
}

inline void fiberMain() {
    Block &b = *block_;
    (*b.body)();
    Fiber &f = b.fibers[b.current];
    for (auto &g : f.groups) complete(g);
    f.done = true;
    b.progress++;
    b.live--;
    unsigned w = f.tid / 32;
    b.warpLive[w]--;
    // an exited thread counts as arrived: release barriers now waiting only on it
    if (b.blockArrived > 0 && b.blockArrived == b.live) {
        b.blockArrived = 0;
        b.blockGen++;
    }
    if (b.warpArrived[w] > 0 && b.warpArrived[w] == b.warpLive[w]) {
        b.warpArrived[w] = 0;
        b.warpGen[w]++;
    }
    swapcontext(&f.ctx, &b.scheduler);
}

/**
 * The order fibers run in (CLIP4J_EMU_ORDER): "forward" (default) and "reverse" go round the threads one step each;
 * "warps" runs one warp as far as it can get (to a block barrier) before the next, like a GPU that schedules one warp
 * far ahead of the others. A kernel free of races computes the same in every order, so running the checks in each
 * exposes a missing barrier that the default order happens to hide.
 */
enum class Order { FORWARD, REVERSE, WARPS };
inline Order order() {
    static const Order o = [] {
        const char *e = std::getenv("CLIP4J_EMU_ORDER");
        std::string v = e ? e : "forward";
        return v == "reverse" ? Order::REVERSE : v == "warps" ? Order::WARPS : Order::FORWARD;
    }();
    return o;
}

inline void run(Block &b, unsigned t) {
    b.current = t;
    setIndex(b.fibers[t]);
    swapcontext(&b.scheduler, &b.fibers[t].ctx);
}

/** Whether fiber t can do anything if run: not finished, not waiting at a block barrier that is still closed. */
inline bool runnable(const Block &b, unsigned t) {
    const Fiber &f = b.fibers[t];
    return !f.done && f.blockWait != b.blockGen;
}

/** Runs body as every thread of every block of the grid, with dynamicBytes of extern shared memory. */
inline void launch(dim3 grid, dim3 blockDim, const std::function<void()> &body, size_t dynamicBytes = 0) {
    unsigned threads = blockDim.x * blockDim.y * blockDim.z;
    if (threads == 0 || threads > 1024) {
        std::fprintf(stderr, "emu: bad block size %u\n", threads);
        std::exit(3);
    }
    constexpr size_t STACK = 256 * 1024;
    // fiber stacks, kept from launch to launch (uninitialised: zeroing 64 MB a launch cost more than the kernels)
    static std::vector<std::unique_ptr<char[]>> stacks;
    while (stacks.size() < threads) stacks.emplace_back(new char[STACK]);
    Block b;
    b.body = &body;
    unsigned warps = (threads + 31) / 32;
    gridDim_ = grid;
    blockDim_ = blockDim;
    block_ = &b;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                blockIdx_ = {bx, by, bz};
                b.fibers.assign(threads, Fiber());
                b.dynamicShared.assign(dynamicBytes + 128, 0xff);
                if (__start_emu_shared) std::memset(__start_emu_shared, 0xff, __stop_emu_shared - __start_emu_shared);
                b.live = threads;
                b.blockArrived = 0;
                b.warpGen.assign(warps, 0);
                b.warpArrived.assign(warps, 0);
                b.warpLive.assign(warps, 0);
                for (unsigned t = 0; t < threads; t++) b.warpLive[t / 32]++;
                b.exchange.assign(warps * 32, 0.0f);
                b.mmaA.assign(warps * 256, 0.0f);
                b.mmaB.assign(warps * 256, 0.0f);
                b.mmaC.assign(warps * 256, 0.0f);
                for (unsigned t = 0; t < threads; t++) {
                    Fiber &f = b.fibers[t];
                    f.tid = t;
                    getcontext(&f.ctx);
                    f.ctx.uc_stack.ss_sp = stacks[t].get();
                    f.ctx.uc_stack.ss_size = STACK;
                    f.ctx.uc_link = nullptr;
                    makecontext(&f.ctx, fiberMain, 0);
                }
                while (b.live > 0) {
                    if (order() == Order::WARPS) {
                        for (unsigned w = 0; w < warps; w++) {
                            for (long before = -1; before != b.progress;) {
                                before = b.progress;
                                for (unsigned t = w * 32; t < std::min(threads, w * 32 + 32); t++) {
                                    if (runnable(b, t)) run(b, t);
                                }
                            }
                        }
                    } else {
                        for (unsigned i = 0; i < threads; i++) {
                            unsigned t = order() == Order::REVERSE ? threads - 1 - i : i;
                            if (!b.fibers[t].done) run(b, t);
                        }
                    }
                }
            }
    block_ = nullptr;
}

/** The block's extern __shared__ memory (128-byte aligned). */
inline unsigned char *dynamicShared() {
    auto p = reinterpret_cast<uintptr_t>(block_->dynamicShared.data());
    return reinterpret_cast<unsigned char *>((p + 127) / 128 * 128);
}

/** A value from another lane of the warp (every live lane of the warp must call it). */
template <class T>
T shuffle(T v, unsigned srcLane) {
    static_assert(sizeof(T) == 4, "32-bit shuffles only");
    Block &b = *block_;
    unsigned tid = linearTid(), w = tid / 32;
    std::memcpy(&b.exchange[w * 32 + tid % 32], &v, 4);
    syncWarp();
    T r;
    std::memcpy(&r, &b.exchange[w * 32 + srcLane % 32], 4);
    syncWarp();
    return r;
}
}  // namespace emu

#define threadIdx emu::threadIdx_
#define blockIdx emu::blockIdx_
#define blockDim emu::blockDim_
#define gridDim emu::gridDim_

inline void __syncthreads() { emu::syncBlock(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::syncWarp(); }
template <class T>
T __shfl_xor_sync(unsigned, T v, int laneMask) { return emu::shuffle(v, (emu::linearTid() % 32) ^ laneMask); }
template <class T>
T __shfl_sync(unsigned, T v, int src) { return emu::shuffle(v, src); }
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned d) {
    unsigned lane = emu::linearTid() % 32;
    T r = emu::shuffle(v, lane + d < 32 ? lane + d : lane);
    return r;
}

// cp.async through the pipeline primitives (cuda_pipeline.h): 4, 8 or 16 bytes, both addresses aligned to the size
inline void __pipeline_memcpy_async(void *dst, const void *src, size_t size, size_t zfill = 0) {
    if ((size != 4 && size != 8 && size != 16) || zfill > size || reinterpret_cast<uintptr_t>(dst) % size != 0 ||
        reinterpret_cast<uintptr_t>(src) % size != 0) {
        std::fprintf(stderr, "emu: __pipeline_memcpy_async(%p, %p, %zu, %zu) breaks cp.async's rules\n", dst, src, size, zfill);
        std::abort();
    }
    emu::block_->fibers[emu::block_->current].open.push_back({dst, src, size, zfill});
}
inline void __pipeline_commit() {
    emu::Fiber &f = emu::block_->fibers[emu::block_->current];
    f.groups.push_back(std::move(f.open));
    f.open.clear();
}
inline void __pipeline_wait_prior(size_t prior) {
    emu::Fiber &f = emu::block_->fibers[emu::block_->current];
    while (f.groups.size() > prior) {
        emu::complete(f.groups.front());
        f.groups.erase(f.groups.begin());
    }
}

inline float atomicAdd(float *p, float v) {
    float old = *p;
    *p = v + old;
    return old;
}
inline int atomicAdd(int *p, int v) {
    int old = *p;
    *p = v + old;
    return old;
}

inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }
template <class T>
T __ldg(const T *p) { return *p; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

// ---- fp16 and bf16 (round to nearest even, like __float2half_rn / __float2bfloat16_rn) ----
struct __half {
    uint16_t bits;
};
struct __nv_bfloat16 {
    uint16_t bits;
};

inline float __half2float(__half h) {
    uint32_t s = (h.bits & 0x8000u) << 16, e = (h.bits >> 10) & 0x1f, m = h.bits & 0x3ff, f;
    if (e == 0) {
        float v = std::ldexp((float) m, -24);
        return s ? -v : v;
    }
    if (e == 31) f = s | 0x7f800000u | (m << 13);
    else f = s | ((e + 112) << 23) | (m << 13);
    float r;
    std::memcpy(&r, &f, 4);
    return r;
}

inline __half __float2half_rn(float v) {
    uint32_t f;
    std::memcpy(&f, &v, 4);
    uint16_t s = (f >> 16) & 0x8000u;
    float a = std::fabs(v);
    if (std::isnan(v)) return {(uint16_t) (s | 0x7e00u)};
    if (a >= 65520.0f) return {(uint16_t) (s | 0x7c00u)};
    if (a < 6.103515625e-05f) {  // subnormal: multiples of 2^-24, nearbyint rounds half to even
        return {(uint16_t) (s | (uint16_t) std::nearbyint(std::ldexp(a, 24)))};
    }
    uint32_t af = f & 0x7fffffffu;
    uint32_t e = (af >> 23) - 112, m = af & 0x7fffffu;
    uint32_t h = (e << 10) | (m >> 13), rest = m & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++;
    return {(uint16_t) (s | h)};
}
inline __half __float2half(float v) { return __float2half_rn(v); }

inline float __bfloat162float(__nv_bfloat16 h) {
    uint32_t f = (uint32_t) h.bits << 16;
    float r;
    std::memcpy(&r, &f, 4);
    return r;
}
inline __nv_bfloat16 __float2bfloat16_rn(float v) {
    uint32_t f;
    std::memcpy(&f, &v, 4);
    if (std::isnan(v)) return {(uint16_t) ((f >> 16) | 0x40u)};
    f += 0x7fffu + ((f >> 16) & 1);
    return {(uint16_t) (f >> 16)};
}
inline __nv_bfloat16 __float2bfloat16(float v) { return __float2bfloat16_rn(v); }

inline float emuToFloat(float v) { return v; }
inline float emuToFloat(__half v) { return __half2float(v); }
inline float emuToFloat(__nv_bfloat16 v) { return __bfloat162float(v); }

// ---- wmma: 16x16x16 tiles; lane l owns elements l + 32 i (i < 8) of the row-major logical tile ----
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
    static_assert(M == 16 && N == 16 && K == 16, "emu: 16x16x16 only");
    static constexpr int num_elements = 8;
    T x[8];
};

inline unsigned lane() { return emu::linearTid() % 32; }

// the hardware's rules for wmma loads and stores: a 256-bit aligned pointer, ldm a multiple of 16 bytes
template <class T>
void checkTile(const T *p, unsigned ldm, const char *what) {
    if (reinterpret_cast<uintptr_t>(p) % 32 != 0 || (ldm * sizeof(T)) % 16 != 0) {
        std::fprintf(stderr, "emu: %s: pointer %p or ldm %u breaks wmma's alignment rules\n", what, (const void *) p, ldm);
        std::abort();
    }
}

// element e of the logical 16x16 tile at row r = e / 16, column c = e % 16
template <class T, class L>
void load_matrix_sync(fragment<matrix_a, 16, 16, 16, T, L> &f, const T *p, unsigned ldm) {
    checkTile(p, ldm, "load_matrix_sync(matrix_a)");
    for (int i = 0; i < 8; i++) {
        int e = lane() + 32 * i, r = e / 16, c = e % 16;
        f.x[i] = std::is_same<L, row_major>::value ? p[r * ldm + c] : p[c * ldm + r];
    }
    __syncwarp();
}
template <class T, class L>
void load_matrix_sync(fragment<matrix_b, 16, 16, 16, T, L> &f, const T *p, unsigned ldm) {
    checkTile(p, ldm, "load_matrix_sync(matrix_b)");
    for (int i = 0; i < 8; i++) {
        int e = lane() + 32 * i, r = e / 16, c = e % 16;  // r: k, c: n
        f.x[i] = std::is_same<L, row_major>::value ? p[r * ldm + c] : p[c * ldm + r];
    }
    __syncwarp();
}
inline void load_matrix_sync(fragment<accumulator, 16, 16, 16, float> &f, const float *p, unsigned ldm, layout_t l) {
    checkTile(p, ldm, "load_matrix_sync(accumulator)");
    for (int i = 0; i < 8; i++) {
        int e = lane() + 32 * i, r = e / 16, c = e % 16;
        f.x[i] = l == mem_row_major ? p[r * ldm + c] : p[c * ldm + r];
    }
    __syncwarp();
}
inline void store_matrix_sync(float *p, const fragment<accumulator, 16, 16, 16, float> &f, unsigned ldm, layout_t l) {
    checkTile(p, ldm, "store_matrix_sync");
    for (int i = 0; i < 8; i++) {
        int e = lane() + 32 * i, r = e / 16, c = e % 16;
        (l == mem_row_major ? p[r * ldm + c] : p[c * ldm + r]) = f.x[i];
    }
    __syncwarp();
}
template <class Use, class T, class L>
void fill_fragment(fragment<Use, 16, 16, 16, T, L> &f, float v) {
    for (int i = 0; i < 8; i++) f.x[i] = v;
}

/** d = a·b + c over the warp: every lane posts its elements, then computes its 8 outputs in fp32. */
template <class T, class LA, class LB>
void mma_sync(fragment<accumulator, 16, 16, 16, float> &d, const fragment<matrix_a, 16, 16, 16, T, LA> &a,
              const fragment<matrix_b, 16, 16, 16, T, LB> &b, const fragment<accumulator, 16, 16, 16, float> &c) {
    emu::Block &blk = *emu::block_;
    unsigned w = emu::linearTid() / 32, l = lane();
    float *A = &blk.mmaA[w * 256], *B = &blk.mmaB[w * 256], *C = &blk.mmaC[w * 256];
    for (int i = 0; i < 8; i++) {
        A[l + 32 * i] = emuToFloat(a.x[i]);
        B[l + 32 * i] = emuToFloat(b.x[i]);
        C[l + 32 * i] = c.x[i];
    }
    __syncwarp();
    float out[8];
    for (int i = 0; i < 8; i++) {
        int e = l + 32 * i, r = e / 16, n = e % 16;
        float s = C[e];
        for (int k = 0; k < 16; k++) s = std::fma(A[r * 16 + k], B[k * 16 + n], s);
        out[i] = s;
    }
    __syncwarp();
    for (int i = 0; i < 8; i++) d.x[i] = out[i];
}
}  // namespace wmma
}  // namespace nvcuda
