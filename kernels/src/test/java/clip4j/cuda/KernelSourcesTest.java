package clip4j.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed PTX: present for every module, PTX ISA 9.0 for sm_90, every entry point the backend launches, equal to
 * what nvcc makes of the sources (when the build had nvcc), and assembled by ptxas for sm_90 with no register spills
 * (when ptxas is installed). Runs without a GPU.
 */
class KernelSourcesTest {
    static final List<String> ENTRIES = List.of("linear_f32", "linear_f16", "linear_f16_x16", "linear_f16_x16_y16", "linear_bf16",
            "linear_bf16_x16", "linear_bf16_x16_y16", "layer_norm", "layer_norm_f16", "layer_norm_bf16", "attention_hd64",
            "attention_hd80", "attention_hd128", "attention_f16_hd64", "attention_f16_hd80", "attention_f16_hd128",
            "attention_bf16_hd64", "attention_bf16_hd80", "attention_bf16_hd128", "quick_gelu", "gelu", "softmax_rows",
            "unfold_patches", "vision_tokens", "text_tokens", "tip_cache_logits", "meta_refine");

    @Test
    void committedPtxHasEveryEntryPoint() {
        StringBuilder all = new StringBuilder();
        for (String m : CudaContext.MODULES) {
            String ptx = CudaContext.ptx(m);
            assertTrue(ptx.contains(".version 9.0") && ptx.contains(".target sm_90"), m + ": not PTX 9.0 for sm_90");
            all.append(ptx);
        }
        for (String e : ENTRIES) assertTrue(all.indexOf(".entry " + e + "(") >= 0, "no .entry " + e + " in the committed PTX");
    }

    @Test
    void committedPtxIsFresh() throws Exception {
        Path generated = Path.of("target/ptx");
        Assumptions.assumeTrue(Files.isDirectory(generated), "nvcc absent at build time: PTX freshness not checked");
        for (String m : CudaContext.MODULES) {
            String fresh = Files.readString(generated.resolve(m + ".ptx"));
            assertEquals(fresh, CudaContext.ptx(m), m + ".ptx is stale: run kernels/build-ptx.sh kernels/src/main/resources/clip4j/cuda");
        }
    }

    @Test
    void ptxAssemblesForSm90WithoutSpills() throws Exception {
        Path ptxas = findPtxas();
        Assumptions.assumeTrue(ptxas != null, "ptxas absent: PTX not assembled");
        Path dir = Files.createTempDirectory("clip4j-ptx");
        try {
            for (String m : CudaContext.MODULES) {
                Path f = dir.resolve(m + ".ptx");
                Files.writeString(f, CudaContext.ptx(m));
                Process p = new ProcessBuilder(ptxas.toString(), "-arch=sm_90", "-v", f.toString(), "-o", dir.resolve(m + ".cubin").toString())
                        .redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes());
                assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ptxas timed out on " + m);
                assertEquals(0, p.exitValue(), m + ": ptxas failed:\n" + log);
                List<String> spills = new ArrayList<>();
                String entry = "?";
                for (String line : log.split("\n")) {
                    if (line.contains("Compiling entry function")) entry = line.replaceAll(".*function '([^']*)'.*", "$1");
                    // attention_hd128 keeps 2 × 128 floats per thread and may spill a little; every other kernel must not
                    if (line.contains("bytes spill stores") && !line.contains(" 0 bytes spill stores") && !entry.equals("attention_hd128")) {
                        spills.add(entry + ": " + line.strip());
                    }
                }
                assertTrue(spills.isEmpty(), "register spills: " + spills);
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) Files.delete(f);
            }
            Files.delete(dir);
        }
    }

    private static Path findPtxas() {
        Path p = onPath("ptxas");
        Path cuda = Path.of("/usr/local/cuda/bin/ptxas");
        return p != null ? p : Files.isExecutable(cuda) ? cuda : null;
    }

    /** An executable of this name on the PATH, or null. */
    static Path onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }
}
