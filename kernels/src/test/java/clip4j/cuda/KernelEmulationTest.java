package clip4j.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CUDA kernel run on the CPU: src/test/cuda/build.sh (run by the build before the tests) compiles
 * src/main/cuda/*.cu with g++ against the emulation header (src/test/cuda/emu/cuda_emu.h: blocks of cooperative
 * fibers, real barriers, warp shuffles, wmma tiles split across lanes) and src/test/cuda/kernel_emulation.cpp, which
 * checks each kernel against a double-precision reference on odd and CLIP shapes with the launch geometry of
 * {@link Launches}, once in each scheduling order of a block's threads. Catches indexing, tiling, edge and barrier
 * mistakes before a GPU is at hand; says nothing about speed. Skipped with a message when g++ was absent.
 */
class KernelEmulationTest {
    @Test
    void everyKernelMatchesItsReferenceUnderEmulation() throws Exception {
        Path exe = Path.of("target/emu/kernel_emulation");
        Assumptions.assumeTrue(Files.isExecutable(exe), "g++ absent at build time: CUDA kernels not run under emulation");
        // each scheduling order of the block's threads (cuda_emu.h, order()): a missing barrier shows in one of them
        for (String order : new String[]{"forward", "reverse", "warps"}) {
            ProcessBuilder pb = new ProcessBuilder(exe.toString()).redirectErrorStream(true);
            pb.environment().put("CLIP4J_EMU_ORDER", order);
            Process p = pb.start();
            String log = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "kernel_emulation timed out in order " + order);
            assertEquals(0, p.exitValue(), "kernel_emulation failed in order " + order + ":\n" + log);
            for (String e : KernelSourcesTest.ENTRIES) {
                assertTrue(log.contains("PASS " + e + " "), "no passing emulation case for kernel " + e + " in order " + order + ":\n" + log);
            }
        }
    }
}
