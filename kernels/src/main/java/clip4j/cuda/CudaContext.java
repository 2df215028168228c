package clip4j.cuda;

import clip4j.ClipException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

/**
 * One CUDA context on one device through JCuda's driver API (the flow of jcuda-samples JCudaVectorAdd: cuInit,
 * cuCtxCreate, cuModuleLoadData, cuLaunchKernel): exceptions enabled, the driver
 * version checked before any PTX is loaded, our PTX modules loaded from the classpath, the context made current on
 * whichever thread calls (contexts are per thread), modules unloaded and the context destroyed on close.
 */
final class CudaContext implements AutoCloseable {
    /** The PTX resources under clip4j/cuda, one per kernel family (kernels/src/main/cuda). */
    static final List<String> MODULES = List.of("linear", "layernorm", "attention", "elementwise", "tip", "meta");

    final String deviceName;
    final int driverVersion;
    private final CUcontext context = new CUcontext();
    private final List<CUmodule> modules = new ArrayList<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    /** Dynamic shared memory a kernel may use without opting in. */
    private static final int DEFAULT_DYNAMIC_SHARED = 48 * 1024;
    /** The dynamic shared memory each kernel has been opted in to. */
    private final Map<String, Integer> sharedOptIn = new HashMap<>();

    private CudaContext(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        int[] version = new int[1];
        cuDriverGetVersion(version);
        driverVersion = version[0];
        String problem = Launches.driverProblem(driverVersion);
        if (problem != null) throw new ClipException(problem);
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        deviceName = new String(name, 0, len, StandardCharsets.US_ASCII);
        cuCtxCreate(context, 0, device);
        for (String m : MODULES) {
            CUmodule module = new CUmodule();
            cuModuleLoadData(module, ptx(m)); // the String overload adds the NUL terminator
            modules.add(module);
        }
    }

    /** Opens device 0; a missing driver or GPU is a one-line ClipException, never a fallback. */
    static CudaContext open() {
        try {
            return new CudaContext(0);
        } catch (ClipException e) {
            throw e;
        } catch (RuntimeException | LinkageError e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName()).strip();
            throw new ClipException("device cuda: no usable CUDA device (" + why + ")", e);
        }
    }

    static String ptx(String module) {
        try (InputStream in = CudaContext.class.getResourceAsStream("/clip4j/cuda/" + module + ".ptx")) {
            if (in == null) throw new ClipException("PTX resource clip4j/cuda/" + module + ".ptx missing from the kernels jar");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ClipException("cannot read PTX " + module + ": " + e.getMessage(), e);
        }
    }

    /** Makes the context current on the calling thread. */
    void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    CUfunction function(String name) {
        return functions.computeIfAbsent(name, n -> {
            for (CUmodule m : modules) {
                CUfunction f = new CUfunction();
                try {
                    cuModuleGetFunction(f, m, n);
                    return f;
                } catch (RuntimeException notHere) {
                    // the entry point lives in another module
                }
            }
            throw new ClipException("no CUDA kernel named " + n + " in " + MODULES);
        });
    }

    /** Launches a kernel on a 2-D grid of 1-D blocks; args as built by {@link #args}. */
    void launch(String kernel, int gridX, int gridY, int threads, Pointer args) {
        launch(kernel, gridX, gridY, threads, 0, args);
    }

    /**
     * The same with sharedBytes of dynamic shared memory; above the default 48 KB the kernel is opted in once
     * (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES).
     */
    void launch(String kernel, int gridX, int gridY, int threads, int sharedBytes, Pointer args) {
        CUfunction f = function(kernel);
        if (sharedBytes > DEFAULT_DYNAMIC_SHARED && sharedOptIn.getOrDefault(kernel, 0) < sharedBytes) {
            cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes);
            sharedOptIn.put(kernel, sharedBytes);
        }
        cuLaunchKernel(f, gridX, gridY, 1, threads, 1, 1, sharedBytes, null, args, null);
    }

    /** Kernel parameters: each argument as a pointer to its value (device pointers, int[], long[], float[]). */
    static Pointer args(Object... values) {
        Pointer[] p = new Pointer[values.length];
        for (int i = 0; i < values.length; i++) {
            p[i] = switch (values[i]) {
                case Pointer ptr -> Pointer.to(ptr);
                case Integer v -> Pointer.to(new int[]{v});
                case Long v -> Pointer.to(new long[]{v});
                case Float v -> Pointer.to(new float[]{v});
                default -> throw new IllegalArgumentException("kernel argument of type " + values[i].getClass());
            };
        }
        return Pointer.to(p);
    }

    @Override
    public void close() {
        makeCurrent();
        for (CUmodule m : modules) cuModuleUnload(m);
        modules.clear();
        functions.clear();
        sharedOptIn.clear();
        cuCtxDestroy(context);
    }
}
