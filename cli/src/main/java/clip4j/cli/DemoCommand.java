package clip4j.cli;

import clip4j.backend.Backend;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "demo", header = "Offline end-to-end few-shot demo on a random-weight ViT-B/32-shaped model.",
        description = {"Offline end-to-end demo. Makes a seeded RANDOM-weight ViT-B/32-shaped CLIP in the Hugging Face "
                + "layout, converts it to a clip4j model file, and runs zero-shot, Tip-Adapter, Tip-Adapter-F, CLIP-Adapter "
                + "and Meta-Adapter on Fashion-MNIST (Debian's dataset-fashion-mnist; generated shapes when it is not "
                + "installed) over 1-16 shots and 3 seeds. Prints a table and writes report.html. The weights are random, "
                + "so zero-shot is near chance; the adapters show what the cache model and the training do.",
                "",
                "The default is a quick version (plain features in the cache, 20 test images per class: about a minute "
                        + "and a half on 2 cores); --full runs the papers' protocol (10 augmentation passes, the whole test "
                        + "set: about 13 minutes on 2 cores). The model and the features are kept in --dir, so a second run "
                        + "only computes what is new; --clean removes them.",
                "",
                "Text needs a BPE vocabulary: OpenAI's bpe_simple_vocab_16e6.txt.gz when found (--bpe, $CLIP4J_BPE, the "
                        + "user cache, or a download from github.com/openai/CLIP checked against its SHA-256), otherwise a "
                        + "vocabulary clip4j learns from its own small corpus (fine for random weights, said in the output)."},
        footer = {"", "Examples:", "  clip4j demo", "  clip4j demo --full",
                "  clip4j demo --shots 1,16 --seeds 1 --test-per-class 10", "  clip4j demo --clean"})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "working directory: model, feature store, report (default: the user cache's demo folder, "
            + "$CLIP4J_CACHE or $XDG_CACHE_HOME/clip4j or ~/.cache/clip4j, then /demo)")
    Path dir;

    @Option(names = "--bpe", paramLabel = "FILE", description = "OpenAI's bpe_simple_vocab_16e6.txt.gz (see above for where it is looked for otherwise)")
    Path bpe;

    @Option(names = "--arch", paramLabel = "NAME", defaultValue = "ViT-B-32-quickgelu", description = "architecture of the random model")
    String arch;

    @Option(names = "--full", description = "the papers' protocol: shots 1,2,4,8,16, seeds 1,2,3, 10 augmentation passes, all test images "
            + "(replaces --shots, --seeds, --augment-epochs and --test-per-class)")
    boolean full;

    @Option(names = "--augment-epochs", paramLabel = "N", defaultValue = "0", description = "augmentation passes averaged into the cache "
            + "(0 = plain preprocessing; the papers use 10)")
    int augmentEpochs;

    @Option(names = "--test-per-class", paramLabel = "N", defaultValue = "20", description = "test images per class (0 = all 1000)")
    int testPerClass;

    @Option(names = "--clean", description = "remove the working directory (model, features, report) and exit")
    boolean clean;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec command;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    EngineMixin engine;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws IOException {
        Path work = (dir != null ? dir : UserCache.dir().resolve("demo")).toAbsolutePath();
        if (clean) return clean(work);
        if (full) {
            for (String o : new String[]{"--shots", "--seeds", "--augment-epochs", "--test-per-class"}) {
                if (command.commandLine().getParseResult().hasMatchedOption(o)) {
                    throw new picocli.CommandLine.ParameterException(command.commandLine(), "--full sets " + o + " itself: give --full or " + o + ", not both");
                }
            }
            sampling.shots = new int[]{1, 2, 4, 8, 16};
            sampling.seeds = new long[]{1, 2, 3};
            augmentEpochs = 10;
            testPerClass = 0;
        }
        long start = System.nanoTime();
        BpeVocabulary.ForRandomWeights vocab = BpeVocabulary.fromEnvironment().forRandomWeights(bpe);
        Log.info("vocabulary: " + vocab.description());
        Path model = work.resolve(arch + "-random-seed0-" + (vocab.openai() ? "openai" : "clip4j") + "-vocab.safetensors");
        if (!Files.isRegularFile(model)) makeModel(model, vocab.merges());

        boolean fmnist = FashionMnist.available(FashionMnist.DEFAULT_DIR);
        Dataset train = fmnist ? FashionMnist.load(FashionMnist.DEFAULT_DIR, "train") : SyntheticShapes.generate("train", 60, 1);
        Dataset test = DatasetArg.limited(fmnist ? FashionMnist.load(FashionMnist.DEFAULT_DIR, "test") : SyntheticShapes.generate("test", 40, 2), testPerClass);
        List<Method> methods = Arrays.asList(Method.values());
        List<String> templates = List.of("a photo of a {}.");
        FewShotExperiment.Config cfg = new FewShotExperiment.Config(methods, sampling.shots, sampling.seeds, templates, augmentEpochs, Methods.Options.defaults());
        try (Backend be = engine.backend();
             ClipModel m = ClipModel.load(model, be)) {
            FewShotExperiment.Outcome out = Experiments.run(new FeatureStore(work.resolve("features"), m, false), train, test, null, cfg, common.quiet);
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("model", model + " (RANDOM weights, seed 0, " + arch + ")");
            settings.put("vocabulary", vocab.description());
            settings.put("dataset", train.name() + " / " + test.name() + ", " + (testPerClass > 0 ? testPerClass + " test images per class" : "all test images"));
            settings.put("shots", Arrays.toString(sampling.shots));
            settings.put("seeds", Arrays.toString(sampling.seeds));
            settings.put("templates", templates);
            settings.put("augment_epochs", augmentEpochs);
            settings.put("alpha_beta", "searched on min(K,4)-per-class validation, grid 200x20 up to [12, 10]");
            Path report = work.resolve("report");
            Reports.write(report, out, methods, sampling.shots, sampling.seeds, settings, "seed 0");
            Output.line("clip4j demo: few-shot classification of " + (fmnist ? "Fashion-MNIST" : "generated shapes (Fashion-MNIST is not installed)")
                    + " with a seeded RANDOM-weight " + arch + " model.");
            Output.line("The weights are random, not trained CLIP weights: zero-shot is near chance (10%), and the adapters show what");
            Output.line("the cache model and the training do with few labelled images. Vocabulary: " + vocab.description() + ".");
            Output.line(ResultsTable.render(out.runs(), methods, sampling.shots, sampling.seeds.length));
            Output.line("With real CLIP weights the papers report, on 16-shot ImageNet: zero-shot 60.33, Tip-Adapter 62.03,");
            Output.line("Tip-Adapter-F 65.51, CLIP-Adapter 63.59 (RN50); zero-shot 63.80, Tip-Adapter 65.61, Tip-Adapter-F 68.65 (ViT-B/32).");
            Output.line("Report: " + report.resolve("report.html"));
            Output.line(String.format(Locale.ROOT, "Done in %.0f s. Kept for the next run in %s: %s (model and features; "
                    + "'clip4j demo --clean' removes them).", (System.nanoTime() - start) / 1e9, work, human(size(work))));
        }
        return 0;
    }

    /**
     * The random model in the Hugging Face layout, converted; the HF directory is deleted afterwards, and so is a model
     * of this shape made earlier with the other vocabulary.
     */
    private void makeModel(Path model, String merges) throws IOException {
        Path hf = model.resolveSibling("hf-" + arch + "-random-seed0.tmp");
        deleteTree(hf);
        for (String v : new String[]{"openai", "clip4j"}) Files.deleteIfExists(model.resolveSibling(arch + "-random-seed0-" + v + "-vocab.safetensors"));
        Log.info("making a seeded random " + arch + " in the " + (Architectures.byName(arch).isResNet() ? "open_clip" : "Hugging Face")
                + " layout, then converting it to " + model.getFileName());
        try {
            RandomModel.write(Architectures.byName(arch), 0, hf, merges);
            Converter.convert(hf, model, null, null, DType.F32);
        } finally {
            deleteTree(hf);
        }
    }

    /** Removes what the demo makes in the folder, and the folder when nothing else is left in it. */
    private static int clean(Path work) throws IOException {
        if (!Files.isDirectory(work)) {
            Log.info(work + " does not exist: nothing to clean");
            return 0;
        }
        long bytes = 0;
        try (Stream<Path> s = Files.list(work)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                boolean ours = n.equals("features") || n.equals("report") || n.matches(".+-random-seed0-(openai|clip4j)-vocab\\.safetensors")
                        || n.matches("hf-.+-random-seed0\\.tmp");
                if (!ours) continue;
                bytes += size(p);
                deleteTree(p);
            }
        }
        try (Stream<Path> s = Files.list(work)) {
            if (s.findAny().isEmpty()) Files.delete(work);
            else Log.info(work + " also holds files the demo did not make: they are left alone");
        }
        Log.info("removed the demo's files from " + work + " (" + human(bytes) + ")");
        long panels = clip4j.backend.Backends.removeOrphanedPanelFiles(UserCache.dir());
        if (panels > 0) Log.info("removed the packed weights of models that are gone (" + human(panels) + ")");
        return 0;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }

    private static long size(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static String human(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
