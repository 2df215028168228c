package clip4j.bench;

import clip4j.backend.EngineOptions;
import clip4j.io.DType;
import clip4j.model.Architectures;
import clip4j.model.ClipConfig;
import clip4j.model.ClipModel;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Whole encoders of a seeded model (ViT-B/32 by default), as a user calls them: image batches and one prompt given as
 * token ids ("a photo of a cat." = 49406 320 1125 539 320 2368 269 49407). Use -prof gc for allocation per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class EncoderBench {
    @Param({"ViT-B-32-quickgelu"})
    String arch;

    @Param({"1", "8"})
    int batch;

    @Param({"F32"})
    String dtype;

    SeededModel seeded;
    ClipModel model;
    List<float[]> pixels;
    int[][] prompt = {{49406, 320, 1125, 539, 320, 2368, 269, 49407}};
    float[][] imageOut, textOut;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        ClipConfig c = Architectures.byName(arch);
        seeded = SeededModel.open(c, null, DType.valueOf(dtype), EngineOptions.defaults());
        model = seeded.model();
        imageOut = new float[batch][c.embedDim()];
        textOut = new float[1][c.embedDim()];
        Random r = new Random(1);
        pixels = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            float[] p = new float[3 * c.imageSize() * c.imageSize()];
            for (int j = 0; j < p.length; j++) p[j] = (float) r.nextGaussian();
            pixels.add(p);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        seeded.close();
    }

    /** Image features of {@code batch} images into reused rows (time per call; divide by batch for per image). */
    @Benchmark
    public float[][] imageEncoder() {
        model.imageFeatures(pixels, imageOut);
        return imageOut;
    }

    /** Text features of one 8-token prompt (stops at EOT) into a reused row. */
    @Benchmark
    public float[][] textEncoder() {
        model.textFeatures(prompt, textOut);
        return textOut;
    }
}
