// A stand-in libcuda.so.1 for machines without a GPU: the few CUDA driver API calls CudaContext and CudaBackend make,
// with "device memory" in host memory and every kernel launch run by the CPU emulation (cuda_emu.h) of the kernels
// in kernels/src/main/cuda. JCuda's JNI library loads it in place of NVIDIA's driver when the kernels module's tests
// run with LD_LIBRARY_PATH pointing at it (build.sh builds it only where no real libcuda.so.1 is installed), so
// CudaBackendTest drives the real Java backend, JCuda and the kernel sources end to end on the CPU: argument lists,
// launch geometry, buffer sizes, module entry points. Only what clip4j calls is implemented; anything else is an
// unresolved symbol, so a new driver call fails loudly rather than silently.
#include "kernels.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void *CUcontext;
typedef void *CUstream;
struct Module {
    std::string ptx;
};
struct Function {
    const char *name;
    void (*run)(void **);
    unsigned long maxThreads;  // the .maxntid of the entry in the loaded PTX, 0 if it declares none
    int maxDynamicShared;      // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: 48 KB unless raised
    unsigned pointers;         // bit i: parameter i is a device pointer
};

// bit i set where the kernel's parameter i is a pointer
template <class... P>
constexpr unsigned pointerMask(void (*)(P...)) {
    unsigned mask = 0, bit = 1;
    ((mask |= std::is_pointer<P>::value ? bit : 0u, bit <<= 1), ...);
    return mask;
}
typedef Module *CUmodule;
typedef Function *CUfunction;

enum { SUCCESS = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_FOUND = 500 };
enum { ATTRIBUTE_MAX_DYNAMIC_SHARED = 8, DEFAULT_DYNAMIC_SHARED = 48 * 1024, OPT_IN_SHARED = 227 * 1024 };

template <class T>
static T arg(void **p, int i) {
    T v;
    std::memcpy(&v, p[i], sizeof v);
    return v;
}
#define A(T, i) arg<T>(p, i)

// the parameter lists of the kernel families (TX/T/TY as in kernels.h)
#define LINEAR(name, TX, T, TY) {#name, [](void **p) { name(A(const TX *, 0), A(const T *, 1), A(const float *, 2), A(TY *, 3), A(int, 4), A(int, 5), A(int, 6), A(int, 7)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(name)}
#define LAYER_NORM(name, TY) {#name, [](void **p) { name(A(const float *, 0), A(int, 1), A(int, 2), A(const float *, 3), A(const float *, 4), A(float, 5), A(TY *, 6), A(const int *, 7)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(name)}
#define ATTENTION(name, T) {#name, [](void **p) { name(A(const T *, 0), A(int, 1), A(int, 2), A(int, 3), A(int, 4), A(T *, 5)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(name)}

// every entry point with its parameter list unpacked from cuLaunchKernel's kernelParams
static Function FUNCTIONS[] = {
    LINEAR(linear_f32, float, float, float),
    LINEAR(linear_f16, float, __half, float),
    LINEAR(linear_f16_x16, __half, __half, float),
    LINEAR(linear_f16_x16_y16, __half, __half, __half),
    LINEAR(linear_bf16, float, __nv_bfloat16, float),
    LINEAR(linear_bf16_x16, __nv_bfloat16, __nv_bfloat16, float),
    LINEAR(linear_bf16_x16_y16, __nv_bfloat16, __nv_bfloat16, __nv_bfloat16),
    LAYER_NORM(layer_norm, float),
    LAYER_NORM(layer_norm_f16, __half),
    LAYER_NORM(layer_norm_bf16, __nv_bfloat16),
    ATTENTION(attention_hd64, float),
    ATTENTION(attention_hd80, float),
    ATTENTION(attention_hd128, float),
    ATTENTION(attention_f16_hd64, __half),
    ATTENTION(attention_f16_hd80, __half),
    ATTENTION(attention_f16_hd128, __half),
    ATTENTION(attention_bf16_hd64, __nv_bfloat16),
    ATTENTION(attention_bf16_hd80, __nv_bfloat16),
    ATTENTION(attention_bf16_hd128, __nv_bfloat16),
    {"quick_gelu", [](void **p) { quick_gelu(A(float *, 0), A(long, 1)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(quick_gelu)},
    {"gelu", [](void **p) { gelu(A(float *, 0), A(long, 1)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(gelu)},
    {"softmax_rows", [](void **p) { softmax_rows(A(float *, 0), A(int, 1), A(int, 2)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(softmax_rows)},
    {"unfold_patches", [](void **p) { unfold_patches(A(const float *, 0), A(int, 1), A(int, 2), A(int, 3), A(float *, 4)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(unfold_patches)},
    {"im2col_nhwc", [](void **p) { im2col_nhwc(A(const float *, 0), A(int, 1), A(int, 2), A(int, 3), A(int, 4), A(int, 5), A(int, 6), A(int, 7), A(int, 8), A(int, 9), A(float *, 10)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(im2col_nhwc)},
    {"avg_pool_nhwc", [](void **p) { avg_pool_nhwc(A(const float *, 0), A(int, 1), A(int, 2), A(int, 3), A(int, 4), A(int, 5), A(float *, 6)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(avg_pool_nhwc)},
    {"text_tokens", [](void **p) { text_tokens(A(const int *, 0), A(const float *, 1), A(const float *, 2), A(int, 3), A(int, 4), A(int, 5), A(float *, 6)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(text_tokens)},
    {"vision_tokens", [](void **p) { vision_tokens(A(const float *, 0), A(const float *, 1), A(const float *, 2), A(int, 3), A(int, 4), A(int, 5), A(float *, 6)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(vision_tokens)},
    {"tip_cache_logits", [](void **p) { tip_cache_logits(A(const float *, 0), A(const int *, 1), A(const int *, 2), A(const float *, 3), A(int, 4), A(int, 5), A(int, 6), A(float, 7), A(float, 8), A(float, 9), A(float *, 10)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(tip_cache_logits)},
    {"meta_refine", [](void **p) { meta_refine(A(const float *, 0), A(const float *, 1), A(const int *, 2), A(const float *, 3), A(int, 4), A(int, 5), A(const float *, 6), A(float, 7), A(float *, 8)); }, 0, DEFAULT_DYNAMIC_SHARED, pointerMask(meta_refine)},
};

static std::map<unsigned long long, size_t> allocations;
static int contextToken;

extern "C" {
CUresult cuInit(unsigned) { return SUCCESS; }
CUresult cuDriverGetVersion(int *v) {
    *v = 13000;
    return SUCCESS;
}
CUresult cuDeviceGet(CUdevice *d, int ordinal) {
    if (ordinal != 0) return INVALID_VALUE;
    *d = 0;
    return SUCCESS;
}
CUresult cuDeviceGetName(char *name, int len, CUdevice) {
    std::snprintf(name, len, "clip4j CPU emulation (no GPU)");
    return SUCCESS;
}
CUresult cuCtxCreate_v2(CUcontext *c, unsigned, CUdevice) {
    *c = &contextToken;
    return SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext) { return SUCCESS; }
CUresult cuCtxSynchronize() { return SUCCESS; }
CUresult cuCtxDestroy_v2(CUcontext) { return SUCCESS; }

CUresult cuModuleLoadData(CUmodule *m, const void *image) {
    *m = new Module{static_cast<const char *>(image)};
    return SUCCESS;
}
CUresult cuModuleUnload(CUmodule m) {
    delete m;
    return SUCCESS;
}
// found only when the module's PTX declares the entry point, as the real driver would
CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
    size_t entry = m->ptx.find(std::string(".entry ") + name + "(");
    if (entry == std::string::npos) return NOT_FOUND;
    for (Function &fn : FUNCTIONS) {
        if (std::strcmp(fn.name, name) == 0) {
            size_t body = m->ptx.find('{', entry), bound = m->ptx.find(".maxntid", entry);
            unsigned long x = 1, y = 1, z = 1;
            if (bound != std::string::npos && bound < body) std::sscanf(m->ptx.c_str() + bound, ".maxntid %lu, %lu, %lu", &x, &y, &z);
            fn.maxThreads = bound != std::string::npos && bound < body ? x * y * z : 0;
            *f = &fn;
            return SUCCESS;
        }
    }
    std::fprintf(stderr, "emulated driver: kernel %s has no emulation entry\n", name);
    return NOT_FOUND;
}

// a copy, or a kernel's pointer argument, must lie inside one allocation, as on the device
static bool inside(CUdeviceptr p, size_t bytes) {
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) return false;
    --it;
    return p + bytes <= it->first + it->second;
}
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, CUstream, void **params, void **extra) {
    // the hardware limits a launch must respect (any compute capability 9.0 device), and the kernel's own
    // __launch_bounds__ (.maxntid in its PTX): more threads than that fail to launch on a GPU
    unsigned long threads = (unsigned long) bx * by * bz;
    if (gx == 0 || gy == 0 || gz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535 || threads > 1024 || threads == 0 ||
        sharedBytes > (unsigned) f->maxDynamicShared || extra != nullptr || (f->maxThreads > 0 && threads > f->maxThreads)) {
        return INVALID_VALUE;
    }
    // a freed or never allocated buffer would fault on the GPU (null stays legal: optional arguments)
    for (int i = 0; i < 32; i++) {
        if (!(f->pointers >> i & 1)) continue;
        unsigned long long ptr;
        std::memcpy(&ptr, params[i], sizeof ptr);
        if (ptr != 0 && !inside(ptr, 1)) {
            std::fprintf(stderr, "emulated driver: %s argument %d (0x%llx) is not in any allocation\n", f->name, i, ptr);
            return INVALID_VALUE;
        }
    }
    emu::launch(dim3{gx, gy, gz}, dim3{bx, by, bz}, [&] { f->run(params); }, sharedBytes);
    return SUCCESS;
}

// only the dynamic shared memory opt-in (up to 227 KB a block on compute capability 9.0)
CUresult cuFuncSetAttribute(CUfunction f, int attribute, int value) {
    if (attribute != ATTRIBUTE_MAX_DYNAMIC_SHARED || value < 0 || value > OPT_IN_SHARED) return INVALID_VALUE;
    f->maxDynamicShared = value;
    return SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
    void *m = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!m) return OUT_OF_MEMORY;
    *p = reinterpret_cast<CUdeviceptr>(m);
    allocations[*p] = bytes;
    return SUCCESS;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
    if (allocations.erase(p) != 1) return INVALID_VALUE;
    std::free(reinterpret_cast<void *>(p));
    return SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
    if (!inside(dst, bytes)) return INVALID_VALUE;
    std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
    return SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
    if (!inside(src, bytes)) return INVALID_VALUE;
    std::memcpy(dst, reinterpret_cast<const void *>(src), bytes);
    return SUCCESS;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
    if (!inside(dst, bytes) || !inside(src, bytes)) return INVALID_VALUE;
    std::memmove(reinterpret_cast<void *>(dst), reinterpret_cast<const void *>(src), bytes);
    return SUCCESS;
}

CUresult cuGetErrorName(CUresult e, const char **s) {
    *s = e == INVALID_VALUE ? "CUDA_ERROR_INVALID_VALUE" : e == OUT_OF_MEMORY ? "CUDA_ERROR_OUT_OF_MEMORY" : e == NOT_FOUND ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_UNKNOWN";
    return SUCCESS;
}
CUresult cuGetErrorString(CUresult e, const char **s) { return cuGetErrorName(e, s); }
}
