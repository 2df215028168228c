package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.data.Dataset;
import clip4j.fewshot.FewShotExperiment;
import clip4j.fewshot.Method;
import clip4j.fewshot.Methods;
import clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "fewshot", header = "Few-shot evaluation: zero-shot, Tip-Adapter(-F), CLIP-Adapter, Meta-Adapter.",
        description = {"Few-shot evaluation over shots x seeds: zero-shot, Tip-Adapter, Tip-Adapter-F, CLIP-Adapter and "
                + "Meta-Adapter. For every shot count and seed it draws K training images per class and a disjoint "
                + "min(K,4)-per-class validation set, makes every choice (alpha, beta, epochs) on validation only, and "
                + "evaluates the test set once. Prints a table of test accuracy (mean±std over seeds, %%) on stdout; "
                + "image features are kept in a feature store keyed by model, preprocessing, view and image content, so a "
                + "re-run never encodes an image twice.",
                "",
                "Datasets: 'fashion-mnist' (Debian's dataset-fashion-mnist), 'shapes' (generated), or an ImageFolder "
                        + "directory (one sub-folder per class, class order = sorted folder names; --classnames gives "
                        + "readable names in that order)."},
        footer = {"", "Examples:",
                "  clip4j fewshot --model m.safetensors --train fashion-mnist \\",
                "      --test fashion-mnist --method zero-shot,tip,tip-f",
                "  clip4j fewshot --model m.safetensors --train data/train --test data/test \\",
                "      --shots 16 --seeds 1 --predictions preds.jsonl --report out/"})
final class FewShotCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--train", paramLabel = "DATA", required = true, description = "fashion-mnist, shapes, or an ImageFolder directory")
    String train;

    @Option(names = "--test", paramLabel = "DATA", required = true, description = "fashion-mnist, shapes, or an ImageFolder directory")
    String test;

    @Option(names = "--val", paramLabel = "DIR", description = "validation ImageFolder (default: min(K,4) per class from the train pool, disjoint from the shots)")
    String val;

    @Option(names = "--classnames", paramLabel = "FILE", description = "class names file for ImageFolder datasets (one per line, folder order)")
    Path classNames;

    @Option(names = "--method", paramLabel = "M", split = ",", defaultValue = "zero-shot,tip", description = "zero-shot, tip, tip-f, clip-adapter, meta (comma-separated)")
    List<String> methods;

    @Mixin
    MethodOptions method;

    @Option(names = "--eval-classes", paramLabel = "CLASS", split = ",", description = "test only images of these classes (e.g. the novel ones), still classified among all classes")
    List<String> evalClasses;

    @Option(names = "--test-per-class", paramLabel = "N", defaultValue = "0", description = "use at most N test images per class (0 = all)")
    int testPerClass;

    @Option(names = "--predictions", paramLabel = "FILE", description = "write JSON lines {image, label, pred, logits: {class: logit, ...}, method, "
            + "shots, seed} per test image and run")
    Path predictions;

    @Option(names = "--report", paramLabel = "DIR", description = "write results.json and report.html into this directory")
    Path report;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    TemplateOptions templates;

    @Mixin
    FeatureStoreOptions store;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws IOException {
        Methods.Options o = method.options();
        List<Method> ms = methods.stream().map(Method::parse).toList();
        List<String> tpl = templates.templates();
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            Dataset tr = DatasetArg.load(train, "train", classNames);
            Dataset te = DatasetArg.limited(DatasetArg.load(test, "test", classNames), testPerClass).relabel(tr.classNames());
            if (evalClasses != null) te = DatasetArg.onlyClasses(te, evalClasses);
            Dataset va = val == null ? null : DatasetArg.load(val, "train", classNames).relabel(tr.classNames());
            String random = model.file().randomWeights();
            if (random != null) Log.warn(opts.model + " has RANDOM weights (" + random + "): the accuracies show the methods, not CLIP");
            FewShotExperiment.Config cfg = new FewShotExperiment.Config(ms, sampling.shots, sampling.seeds, tpl, method.augmentEpochs, o);
            FewShotExperiment.Outcome out = Experiments.run(store.open(model), tr, te, va, cfg, common.quiet);
            if (random != null) Output.line("# model with RANDOM weights (" + random + "): " + opts.model);
            Output.line(ResultsTable.render(out.runs(), ms, sampling.shots, sampling.seeds.length));
            if (predictions != null) Reports.writePredictions(predictions, out);
            if (report != null) Reports.write(report, out, ms, sampling.shots, sampling.seeds, settings(model, tpl, ms), random);
        }
        return 0;
    }

    /** The settings of this run, with each method's own settings only when that method ran. */
    private Map<String, Object> settings(ClipModel model, List<String> tpl, List<Method> ms) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", opts.model.toString());
        s.put("architecture", model.config().architecture());
        s.put("train", train);
        s.put("test", test);
        s.put("val", val == null ? "min(K,4) per class from the train pool" : val);
        s.put("methods", methods);
        s.put("shots", Arrays.stream(sampling.shots).boxed().toList());
        s.put("seeds", Arrays.stream(sampling.seeds).boxed().toList());
        s.put("templates", tpl);
        s.put("test_per_class", testPerClass == 0 ? "all" : testPerClass);
        method.describe(ms, s);
        return s;
    }
}
