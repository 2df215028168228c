package clip4j.bench;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import clip4j.fewshot.FMath;
import clip4j.fewshot.MetaAdapter;
import clip4j.fewshot.MetaTraining;
import clip4j.fewshot.TipAdapter;
import clip4j.fewshot.TipAdapterF;
import clip4j.fewshot.TipSearch;
import clip4j.model.Embeddings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The adapter ops at ImageNet-like size: 1000 classes × 16 shots, D = 512, 1000 queries.
 * Tip-Adapter inference is bounded by its two products, 2·Q·D·(N + NK) = 17.4 GFLOP per call.
 * Run: java --add-modules jdk.incubator.vector -cp "bench/target/clip4j-bench.jar:bench/target/lib/*" org.openjdk.jmh.Main AdapterBench
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class AdapterBench {
    static final int CLASSES = 1000, SHOTS = 16, D = 512, QUERIES = 1000;

    Backend be;
    TipAdapter tip;
    float[][] queries;
    int[] labels;
    MetaAdapter meta;
    float[][][] supports;
    float[][] batch;
    int[] batchLabels;
    float[][] trainKeys;

    static float[][] unit(int n, Random r) {
        float[][] a = new float[n][D];
        for (float[] row : a) for (int i = 0; i < D; i++) row[i] = (float) r.nextGaussian();
        return Embeddings.normalizeRows(a);
    }

    @Setup(Level.Trial)
    public void setup() {
        Random r = new Random(1);
        be = Backends.create(EngineOptions.defaults());
        float[][] w = unit(CLASSES, r);
        float[][] keys = unit(CLASSES * SHOTS, r);
        int[] kl = new int[keys.length];
        for (int i = 0; i < kl.length; i++) kl[i] = i / SHOTS;
        tip = new TipAdapter(w, keys, kl);
        queries = unit(QUERIES, r);
        labels = new int[QUERIES];
        for (int i = 0; i < QUERIES; i++) labels[i] = r.nextInt(CLASSES);
        meta = new MetaAdapter(D, 1);
        supports = MetaTraining.supports(keys, kl, CLASSES);
        batch = unit(256, r);
        batchLabels = new int[256];
        for (int i = 0; i < 256; i++) batchLabels[i] = r.nextInt(CLASSES);
        trainKeys = FMath.copy(keys);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    /** Tip-Adapter logits for 1000 queries. */
    @Benchmark
    public float[][] tipInference() {
        return tip.logitsBatch(be, queries, 1.0, 5.5);
    }

    /** α/β search over a 20 × 10 grid on 1000 validation queries (the 200 × 20 grid costs 20× the exp/argmax part). */
    @Benchmark
    public TipSearch.Result tipSearch() {
        return TipSearch.search(be, tip, queries, labels, TipSearch.Grid.of(7, 3, 20, 10));
    }

    /** Meta-Adapter refinement of 1000 classes from their 16 supports. */
    @Benchmark
    public float[][] metaRefine() {
        return meta.refine(tip.classWeights(), supports);
    }

    /** One Tip-Adapter-F iteration (batch 256, forward and backward); an epoch of 16k shots is 63 of these. */
    @Benchmark
    public double tipFIteration() {
        double[] g = new double[CLASSES * SHOTS * D];
        return TipAdapterF.lossAndGrad(be, tip, trainKeys, batch, batchLabels, 1.0, 1.0, g);
    }
}
