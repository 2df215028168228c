package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.convert.Converter;
import clip4j.convert.RandomModel;
import clip4j.data.Dataset;
import clip4j.data.FashionMnist;
import clip4j.data.FeatureStore;
import clip4j.data.SyntheticShapes;
import clip4j.fewshot.FewShotExperiment;
import clip4j.fewshot.Method;
import clip4j.fewshot.Methods;
import clip4j.io.DType;
import clip4j.model.Architectures;
import clip4j.model.ClipModel;
import clip4j.text.ClipTokenizer;
import clip4j.util.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "demo", description = "Offline end-to-end demo on a seeded RANDOM-weight ViT-B/32-shaped model: zero-shot, Tip-Adapter, "
        + "Tip-Adapter-F, CLIP-Adapter and Meta-Adapter on Fashion-MNIST (generated shapes when it is not installed).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "build/demo", description = "working directory (model, feature store, report)")
    Path dir;

    @Option(names = "--bpe", required = true, description = "bpe_simple_vocab_16e6.txt.gz (the launcher passes ../shared/data's)")
    Path bpe;

    @Option(names = "--arch", defaultValue = "ViT-B-32-quickgelu", description = "architecture of the random model")
    String arch;

    @Option(names = "--shots", split = ",", defaultValue = "1,2,4,8,16")
    int[] shots;

    @Option(names = "--seeds", split = ",", defaultValue = "1,2,3")
    long[] seeds;

    @Option(names = "--augment-epochs", defaultValue = "5", description = "augmentation passes in the cache (the papers use 10)")
    int augmentEpochs;

    @Option(names = "--test-per-class", defaultValue = "50")
    int testPerClass;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        Path model = dir.resolve(arch + "-random-seed0.safetensors");
        if (!Files.isRegularFile(model)) {
            Path hf = dir.resolve("hf-" + arch + "-random-seed0");
            Log.info("making a seeded random " + arch + " (Hugging Face layout) in " + hf);
            RandomModel.writeHfDirectory(Architectures.byName(arch), 0, hf, ClipTokenizer.readMerges(bpe));
            Converter.convert(hf, model, null, null, DType.F32);
        }
        boolean fmnist = FashionMnist.available(FashionMnist.DEFAULT_DIR);
        Dataset train = fmnist ? FashionMnist.load(FashionMnist.DEFAULT_DIR, "train") : SyntheticShapes.generate("train", 60, 1);
        Dataset test = DatasetArg.limited(fmnist ? FashionMnist.load(FashionMnist.DEFAULT_DIR, "test") : SyntheticShapes.generate("test", 40, 2), testPerClass);
        List<Method> methods = Arrays.asList(Method.values());
        List<String> templates = List.of("a photo of a {}.");
        try (Backend be = Backends.create("cpu", threads == null ? Backends.defaultThreads() : threads);
             ClipModel m = ClipModel.load(model, be)) {
            FewShotExperiment.Outcome out = FewShotExperiment.run(m, new FeatureStore(dir.resolve("features"), m, false), train, test, null,
                    new FewShotExperiment.Config(methods, shots, seeds, templates, augmentEpochs, Methods.Options.defaults()));
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("model", model + " (RANDOM weights, seed 0, " + arch + ")");
            settings.put("dataset", train.name() + " / " + test.name() + ", " + testPerClass + " test images per class");
            settings.put("shots", Arrays.toString(shots));
            settings.put("seeds", Arrays.toString(seeds));
            settings.put("templates", templates);
            settings.put("augment_epochs", augmentEpochs);
            settings.put("alpha_beta", "searched on min(K,4)-per-class validation, grid 200x20 up to [12, 10]");
            Reports.write(dir.resolve("report"), out, methods, shots, seeds, settings);
            Output.line("clip4j demo: few-shot classification of " + (fmnist ? "Fashion-MNIST" : "generated shapes (Fashion-MNIST is not installed)")
                    + " with a seeded RANDOM-weight " + arch + " model.");
            Output.line("The weights are random, not trained CLIP weights: zero-shot is near chance (10%), and the adapters show what");
            Output.line("the cache model and the training do with few labelled images. Test accuracy %:");
            Output.line(ResultsTable.render(out.runs(), methods, shots, seeds.length));
            Output.line("With real CLIP weights the papers report, on 16-shot ImageNet: zero-shot 60.33, Tip-Adapter 62.03,");
            Output.line("Tip-Adapter-F 65.51, CLIP-Adapter 63.59 (RN50); zero-shot 63.80, Tip-Adapter 65.61, Tip-Adapter-F 68.65 (ViT-B/32).");
            Output.line("Report: " + dir.resolve("report").resolve("report.html"));
        }
        return 0;
    }
}
