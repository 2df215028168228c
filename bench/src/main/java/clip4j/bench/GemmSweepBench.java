package clip4j.bench;

import clip4j.backend.EngineOptions;
import clip4j.backend.GemmPlan;
import clip4j.backend.GemmTuner;
import clip4j.backend.VectorBackend;
import clip4j.io.DType;
import clip4j.io.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The GEMM tuner's candidate space on the machine at hand: one op is the tuner's score, the three ViT-B products of
 * {@link GemmTuner#SHAPES} (weights packed once, as a mapped model's are), under the plan given. bench/compare/gemm-sweep.sh
 * runs every plan the tuner may reach ({@code java ... GemmSweepBench} prints them) and sets the tuner's pick beside
 * the best.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 400, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 400, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmSweepBench {
    @Param({"8x2 kc768 mc96 nc8"})
    String plan;

    /** Vector API width: 128, 256, 512, or 0 for the CPU's preferred one. */
    @Param({"0"})
    int vectorBits;

    /** Worker threads, 0 for all cores. */
    @Param({"0"})
    int threads;

    private Arena arena;
    private VectorBackend be;
    private final float[][] x = new float[GemmTuner.SHAPES.length][], out = new float[GemmTuner.SHAPES.length][];
    private final Tensor[] w = new Tensor[GemmTuner.SHAPES.length];

    @Setup(Level.Trial)
    public void setup() {
        Random r = new Random(42);
        arena = Arena.ofShared();
        for (int i = 0; i < GemmTuner.SHAPES.length; i++) {
            int m = GemmTuner.SHAPES[i][0], k = GemmTuner.SHAPES[i][1], n = GemmTuner.SHAPES[i][2];
            x[i] = new float[m * k];
            for (int j = 0; j < x[i].length; j++) x[i][j] = r.nextFloat() - 0.5f;
            out[i] = new float[m * n];
            MemorySegment s = arena.allocate((long) n * k * 4, 64);
            for (long j = 0; j < (long) n * k; j++) s.setAtIndex(ValueLayout.JAVA_FLOAT, j, r.nextFloat() - 0.5f);
            w[i] = new Tensor("w" + i, DType.F32, new long[]{n, k}, s);
        }
        int t = threads == 0 ? EngineOptions.defaults().threads() : threads;
        be = VectorBackend.create(VectorBackend.speciesForBits(vectorBits), t, GemmPlan.parse(plan), true, null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
        arena.close();
    }

    @Benchmark
    public float[][] products() {
        for (int i = 0; i < w.length; i++) be.linear(x[i], GemmTuner.SHAPES[i][0], GemmTuner.SHAPES[i][1], w[i], null, out[i]);
        return out;
    }

    /**
     * Prints the floating-point operations of one op, then the plans of the tuner's space for this machine's registers
     * and the thread count given (default: all cores), comma-separated (for JMH's -p plan=...).
     */
    public static void main(String[] args) {
        long flop = 0;
        for (int[] s : GemmTuner.SHAPES) flop += 2L * s[0] * s[1] * s[2];
        System.out.println(flop);
        int t = args.length > 0 && Integer.parseInt(args[0]) > 0 ? Integer.parseInt(args[0]) : EngineOptions.defaults().threads();
        System.out.println(GemmPlan.space(VectorBackend.registers(), t).stream().map(GemmPlan::toString).collect(Collectors.joining(",")));
    }
}
