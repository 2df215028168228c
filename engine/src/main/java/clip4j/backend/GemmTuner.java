package clip4j.backend;

import clip4j.io.DType;
import clip4j.io.Tensor;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Chooses the {@link GemmPlan} for this machine by timing candidates on the linear shapes of CLIP ViT-B (one image:
 * 50 tokens through the MLP's 768→3072 and 3072→768; a batch of 8 images: 400 tokens through out_proj's 768→768),
 * weights as the backend keeps them (f32 panels), scored by the sum of the three times. First the micro-kernels of the
 * candidate tile shapes are brought to compiled code (the JIT needs 0.1–0.4 s per kernel, which bounds how many shapes
 * fit in the budget); then the shapes are timed at the seed's blocking, twice over, and for the fastest the K block,
 * the row block, the column tiles per group and the threads' split of the rows, one at a time from the best so far.
 * The search stops at its budget with the best so far. The plan changes results only at fp32 rounding (the K block is where partial sums meet), so
 * the choice is one of speed.
 */
public final class GemmTuner {
    /** One timed candidate: the plan and its seconds for the three shapes together. */
    public record Trial(GemmPlan plan, double seconds) {
    }

    /** The choice, every trial in the order run, and the time the search took. */
    public record Result(GemmPlan best, List<Trial> trials, double seconds) {
    }

    /** (m, k, n) of the products timed. */
    public static final int[][] SHAPES = {{50, 768, 3072}, {50, 3072, 768}, {400, 768, 768}};

    /**
     * FLOP/s per thread that only compiled vector code reaches: the Vector API interpreted or from the first-tier
     * compiler runs at 0.1–2 GFLOP/s, compiled at 20–100 on any x86-64 with AVX2.
     */
    static final double COMPILED_FLOPS = 6e9;

    private static final System.Logger LOG = System.getLogger("clip4j");

    private GemmTuner() {
    }

    /**
     * Tunes for the species and thread count within about budgetSeconds. The weight panels are mapped from a scratch
     * file in dir (deleted at once): the kernels then meet the kind of memory segment they meet in use, mapped panel
     * files, and are compiled for it alone (timed on other segments first, a process's later products ran 20% slower).
     */
    public static Result tune(VectorSpecies<Float> species, int threads, double budgetSeconds, Path dir) {
        long start = System.nanoTime(), deadline = start + (long) (budgetSeconds * 1e9);
        int registers = VectorBackend.registers();
        GemmPlan seed = GemmPlan.seed(registers);
        try (Arena arena = Arena.ofShared(); VectorBackend be = VectorBackend.create(species, threads, seed, false, null)) {
            MemorySegment panels = mappedScratch(dir, arena);
            Problem[] problems = new Problem[SHAPES.length];
            Random r = new Random(7);
            long at = 0;
            for (int i = 0; i < SHAPES.length; i++) {
                problems[i] = Problem.random(SHAPES[i], r, arena, panels.asSlice(at), be);
                at += panelBytes(SHAPES[i]);
            }
            Search search = new Search(be, problems, deadline);
            List<GemmPlan> shapes = GemmPlan.shapes(registers);
            warm(be, shapes, panels.asSlice(at), start + (deadline - start) / 3);
            // the tile shapes twice over (the first round also settles the JIT), then the blocking of the fastest
            for (int round = 0; round < 2; round++) for (GemmPlan p : shapes) search.time(p);
            for (int kc : GemmPlan.KCS) search.time(search.best.plan().withKc(kc));
            for (int mc : GemmPlan.MCS) search.time(search.best.plan().withMc(mc));
            for (int nc : GemmPlan.NCS) search.time(search.best.plan().withNc(nc));
            for (int mt : GemmPlan.rowParts(threads)) search.time(search.best.plan().withMt(mt));
            return new Result(search.best.plan(), List.copyOf(search.trials), (System.nanoTime() - start) / 1e9);
        }
    }

    private static long panelBytes(int[] shape) {
        return (long) WeightPanels.panels(shape[2]) * shape[1] * WeightPanels.COLS * Float.BYTES;
    }

    /**
     * Room for the problems' panels and the warm-up's, mapped from a file in dir that is deleted once mapped; native
     * memory when dir cannot be written (the tuning then runs on another kind of segment, which costs later speed,
     * not the run).
     */
    private static MemorySegment mappedScratch(Path dir, Arena arena) {
        long bytes = 4 * 16 * VectorMicroKernels.PANEL_ROW;
        for (int[] s : SHAPES) bytes += panelBytes(s);
        try {
            Files.createDirectories(dir);
            Path f = Files.createTempFile(dir, ".gemm-tuner.", ".tmp");
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[1]), bytes - 1);
                return ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "GEMM tuner scratch file not writable in " + dir + ": " + e.getMessage());
            return arena.allocate(bytes, 64);
        }
    }

    /** The trials so far: each plan's best time, and the best plan. */
    private static final class Search {
        final VectorBackend be;
        final Problem[] problems;
        final long deadline;
        final List<Trial> trials = new ArrayList<>();
        final java.util.Map<GemmPlan, Double> seconds = new java.util.HashMap<>();
        Trial best;

        Search(VectorBackend be, Problem[] problems, long deadline) {
            this.be = be;
            this.problems = problems;
            this.deadline = deadline;
        }

        /**
         * Times the plan over all problems (per problem one run to settle, then the best of three) unless the budget
         * is spent (the first plan is always timed); a plan timed before keeps its best time.
         */
        void time(GemmPlan plan) {
            if (best != null && System.nanoTime() > deadline) return;
            be.plan(plan);
            double total = 0;
            for (Problem p : problems) {
                seconds(be, p);
                double b = Double.MAX_VALUE;
                for (int i = 0; i < 3; i++) b = Math.min(b, seconds(be, p));
                total += b;
            }
            seconds.merge(plan, total, Math::min);
            trials.add(new Trial(plan, total));
            var fastest = java.util.Collections.min(seconds.entrySet(), java.util.Map.Entry.comparingByValue());
            best = new Trial(fastest.getKey(), fastest.getValue());
        }
    }

    /**
     * Runs the shapes' micro-kernels on a 16-step block in turns of 1000 calls until each is compiled (a turn at
     * COMPILED_FLOPS per thread) or the deadline passes. Short calls reach the JIT's thresholds after little slow
     * (interpreted) work, and the compiler works on one kernel in the background while the others run.
     */
    private static void warm(VectorBackend be, List<GemmPlan> shapes, MemorySegment panels, long deadline) {
        List<GemmPlan> left = new ArrayList<>(shapes);
        int len = be.species().length();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            for (var it = left.iterator(); it.hasNext(); ) {
                GemmPlan p = it.next();
                int calls = 1000;
                double t = be.warmKernel(p.mr(), p.nr(), calls, panels) / 1e9;
                if (2.0 * p.mr() * p.nr() * len * 16 * calls / t > COMPILED_FLOPS) it.remove();
            }
        }
    }

    /** One product to time: random input and weights, the weights packed into the given panels, which the backend uses. */
    private record Problem(int m, int k, Tensor w, float[] x, float[] out) {
        static Problem random(int[] s, Random r, Arena arena, MemorySegment panels, VectorBackend be) {
            int m = s[0], k = s[1], n = s[2];
            float[] x = new float[m * k];
            for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
            MemorySegment raw = arena.allocate((long) n * k * Float.BYTES, 64);
            for (long i = 0; i < (long) n * k; i++) raw.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
            Tensor w = new Tensor("w", DType.F32, new long[]{n, k}, raw);
            WeightPanels.pack(w, n, k, panels);
            be.usePanels(w, new VectorGemm.Panels(panels, DType.F32));
            return new Problem(m, k, w, x, new float[m * n]);
        }

        void run(VectorBackend be) {
            be.linear(x, m, k, w, null, out);
        }
    }

    private static double seconds(VectorBackend be, Problem p) {
        long t0 = System.nanoTime();
        p.run(be);
        return (System.nanoTime() - t0) / 1e9;
    }
}
