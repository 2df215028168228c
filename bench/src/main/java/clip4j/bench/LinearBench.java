package clip4j.bench;

import clip4j.backend.Backend;
import clip4j.backend.EngineOptions;
import clip4j.backend.GemmPlan;
import clip4j.backend.ScalarBackend;
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
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The linear layers of ViT-B/32 (M = 50 tokens per image, 400 for a batch of 8; K×N = 768×2304, 768×768, 768×3072, 3072×768) on the
 * Vector API backend and the scalar reference. GFLOP/s = 2·M·K·N / time.
 * Run: java --add-modules jdk.incubator.vector -cp "bench/target/clip4j-bench.jar:bench/target/lib/*" org.openjdk.jmh.Main LinearBench
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LinearBench {
    @Param({"50x768x2304", "50x768x768", "50x768x3072", "50x3072x768", "400x768x2304", "400x768x768", "400x768x3072", "400x3072x768"})
    String shape;

    @Param({"cpu", "cpu-reference"})
    String backend;

    @Param({"F32"})
    String dtype;

    /** Vector API width: 128, 256, 512, or 0 for the CPU's preferred one. */
    @Param({"0"})
    int vectorBits;

    /** Worker threads, 0 for all cores. */
    @Param({"0"})
    int threads;

    /** The GEMM plan ("8x2 kc768 mc96 nc8", as 'clip4j tune' prints it), or empty for the untuned seed. */
    @Param({""})
    String plan;

    private Arena arena;
    private Backend be;
    private float[] x;
    private float[] out;
    private float[] bias;
    private Tensor w;
    private int m;
    private int k;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        k = Integer.parseInt(p[1]);
        int n = Integer.parseInt(p[2]);
        Random r = new Random(42);
        x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        bias = new float[n];
        out = new float[m * n];
        arena = Arena.ofShared();
        MemorySegment s = arena.allocate((long) n * k * 4, 64);
        for (long i = 0; i < (long) n * k; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, (float) r.nextGaussian());
        w = new Tensor("w", DType.valueOf(dtype), new long[]{n, k}, s);
        GemmPlan gp = plan.isEmpty() ? GemmPlan.seed(VectorBackend.registers()) : GemmPlan.parse(plan);
        be = backend.equals("cpu") ? VectorBackend.create(VectorBackend.speciesForBits(vectorBits), threads == 0 ? EngineOptions.defaults().threads() : threads,
                gp, true, null)
                : new ScalarBackend();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
        arena.close();
    }

    @Benchmark
    public float[] linear() {
        be.linear(x, m, k, w, bias, out);
        return out;
    }
}
