package clip4j.cuda;

import jcuda.driver.CUdeviceptr;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

/** A device allocation that grows to the largest size asked for and is then reused (no cuMemAlloc per call). */
final class DeviceBuffer implements AutoCloseable {
    private CUdeviceptr ptr;
    private long bytes;

    /** The buffer with room for at least n bytes (contents unspecified after growing). */
    CUdeviceptr ensure(long n) {
        if (n > bytes) {
            close();
            ptr = new CUdeviceptr();
            cuMemAlloc(ptr, Math.max(n, 256));
            bytes = Math.max(n, 256);
        }
        return ptr;
    }

    @Override
    public void close() {
        if (ptr != null) cuMemFree(ptr);
        ptr = null;
        bytes = 0;
    }
}
