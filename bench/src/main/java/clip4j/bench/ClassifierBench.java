package clip4j.bench;

import clip4j.backend.EngineOptions;
import clip4j.io.DType;
import clip4j.model.Architectures;
import clip4j.model.ClipConfig;
import clip4j.model.ClipModel;
import clip4j.text.ClipTokenizer;
import clip4j.zeroshot.ZeroShotClassifier;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Building the ImageNet zero-shot classifier: 1000 class names × Tip-Adapter's 7 templates = 7000 prompts encoded in
 * batches of 64 (tokenizer included), averaged per class. Reads the class names, templates and BPE merges from
 * the folder given as {@code -p data=DIR} (third-party files, never committed). Divide the time by 7000 for per prompt.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
public class ClassifierBench {
    /** The folder with imagenet_classes.txt, tip_adapter_imagenet_templates.txt and bpe_simple_vocab_16e6.txt.gz. */
    @Param("")
    String data;

    SeededModel seeded;
    ClipModel model;
    List<String> classes, templates;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        if (data.isEmpty()) throw new IllegalArgumentException("ClassifierBench needs -p data=DIR: ImageNet's class names, the templates, CLIP's BPE file");
        Path data = Path.of(this.data);
        classes = Files.readAllLines(data.resolve("imagenet_classes.txt")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        templates = Files.readAllLines(data.resolve("tip_adapter_imagenet_templates.txt")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        String merges = ClipTokenizer.readMerges(data.resolve("bpe_simple_vocab_16e6.txt.gz"));
        ClipConfig c = Architectures.byName("ViT-B-32-quickgelu");
        seeded = SeededModel.open(c, merges, DType.F32, EngineOptions.defaults());
        model = seeded.model();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        seeded.close();
    }

    @Benchmark
    public ZeroShotClassifier imagenetClassifier() {
        return ZeroShotClassifier.build(model, classes, templates);
    }
}
