package clip4j.backend;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings the CPU backend's kernels to compiled code before a model's first forward pass, on a thread of its own while
 * the caller maps the model and decodes its input; the backend's first operation waits for it (at most
 * {@link #BUDGET_NANOS}). Cold, the Vector API runs interpreted, boxing every vector: the first product of a ViT-B/32
 * image took 0.5 s of a 1.6 s first pass, against 1–3 ms compiled, and the garbage grew the heap to 1.9 GB. Short
 * calls reach the JIT's thresholds after little such work: the micro-kernels of the plan, on 16-step blocks of the
 * model's own (mapped) panels so that they are compiled for the memory they will read (ViT-B/32 on 2 vCPUs: compiled
 * after 0.35 s, and the first image's pass took 1.3–1.4 s instead of 1.4–1.6). Warming attention, LayerNorm and the
 * activations the same way as well did not pay: their compiled versions arrived no sooner than in use.
 */
final class WarmUp {
    static final long BUDGET_NANOS = 800_000_000L;

    private WarmUp() {
    }

    /** Starts warming be's kernels; panels: at least 4 KB of weight panels of the kind the products will read. */
    static Thread start(VectorBackend be, MemorySegment panels) {
        return Thread.ofPlatform().daemon().name("clip4j-warm-up").start(() -> {
            try {
                run(be, panels, System.nanoTime() + BUDGET_NANOS);
            } catch (RuntimeException e) {
                // best effort: a model closed at once unmaps the panels; the kernels then warm up in use
            }
        });
    }

    private static void run(VectorBackend be, MemorySegment panels, long deadline) {
        GemmPlan p = be.plan();
        int len = be.species().length();
        // the plan's tile, the short last row group of an image (50 or 49 rows) and a prompt's rows (8 or fewer)
        List<int[]> kernels = new ArrayList<>(List.of(new int[]{p.mr(), p.nr()}));
        for (int rows : new int[]{2, 8}) {
            int[] k = {VectorMicroKernels.kernelRows(Math.min(rows, p.mr()), p.nr()), p.nr()};
            if (kernels.stream().noneMatch(e -> e[0] == k[0] && e[1] == k[1])) kernels.add(k);
        }
        while (!kernels.isEmpty() && System.nanoTime() < deadline) {
            for (var it = kernels.iterator(); it.hasNext(); ) {
                int[] k = it.next();
                int calls = 200;
                double seconds = be.warmKernel(k[0], k[1], calls, panels) / 1e9;
                if (2.0 * k[0] * k[1] * len * 16 * calls / seconds > GemmTuner.COMPILED_FLOPS) it.remove();
            }
        }
    }
}
