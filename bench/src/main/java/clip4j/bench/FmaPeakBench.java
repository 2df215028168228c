package clip4j.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The denominator for GFLOP/s percentages: independent FMA chains on the preferred species, enough of them to cover
 * the FMA latency on two pipes. Score = FMA instructions per µs per thread; GFLOP/s = score · 2 · lanes / 1000 per
 * thread. Run with -t 1 and -t 2 (threads = cores here).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class FmaPeakBench {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int ITER = 1 << 16;

    float seed = 1.0001f;

    @Benchmark
    @OperationsPerInvocation(ITER * 12)
    public float fma12() {
        FloatVector m = FloatVector.broadcast(S, 0.99999f), a = FloatVector.broadcast(S, 1e-7f);
        FloatVector v0 = FloatVector.broadcast(S, seed), v1 = v0.add(1), v2 = v0.add(2), v3 = v0.add(3), v4 = v0.add(4), v5 = v0.add(5);
        FloatVector v6 = v0.add(6), v7 = v0.add(7), v8 = v0.add(8), v9 = v0.add(9), v10 = v0.add(10), v11 = v0.add(11);
        for (int i = 0; i < ITER; i++) {
            v0 = v0.fma(m, a);
            v1 = v1.fma(m, a);
            v2 = v2.fma(m, a);
            v3 = v3.fma(m, a);
            v4 = v4.fma(m, a);
            v5 = v5.fma(m, a);
            v6 = v6.fma(m, a);
            v7 = v7.fma(m, a);
            v8 = v8.fma(m, a);
            v9 = v9.fma(m, a);
            v10 = v10.fma(m, a);
            v11 = v11.fma(m, a);
        }
        return v0.add(v1).add(v2).add(v3).add(v4).add(v5).add(v6).add(v7).add(v8).add(v9).add(v10).add(v11).reduceLanes(VectorOperators.ADD);
    }
}
