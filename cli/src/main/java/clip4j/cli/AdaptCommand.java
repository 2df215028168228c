package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.data.Dataset;
import clip4j.data.FeatureStore;
import clip4j.fewshot.AdapterFile;
import clip4j.fewshot.FewShotExperiment;
import clip4j.fewshot.Method;
import clip4j.fewshot.Methods;
import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import clip4j.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "adapt", header = "Fit a few-shot classifier and save it as a deployable adapter file.",
        description = {"Fits one few-shot method on K shots per class of DATA (drawn with SEED, every choice made on a "
                + "disjoint validation set, exactly as 'fewshot' does for that shot count and seed) and writes it to one "
                + "safetensors file: class names, the model's hash, the class weights, Tip-Adapter's cache with its "
                + "searched alpha and beta, Tip-Adapter-F's trained keys, CLIP-Adapter's weights or Meta-Adapter's refined "
                + "class weights. 'classify --adapter FILE' applies it to new images with the same model, and predicts "
                + "what 'fewshot' reported for the same split and seed."},
        footer = {"", "Examples:",
                "  clip4j adapt --model m.safetensors --train data/train --method tip --shots 16 --output pets.adapter",
                "  clip4j classify --model m.safetensors --adapter pets.adapter photos/"})
final class AdaptCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--train", paramLabel = "DATA", required = true, description = "fashion-mnist, shapes, or an ImageFolder directory")
    String train;

    @Option(names = "--val", paramLabel = "DIR", description = "validation ImageFolder (default: min(K,4) per class from the train pool, disjoint from the shots)")
    String val;

    @Option(names = "--classnames", paramLabel = "FILE", description = "class names file for ImageFolder datasets (one per line, folder order)")
    Path classNames;

    @Option(names = "--method", paramLabel = "M", required = true, description = "zero-shot, tip, tip-f, clip-adapter or meta")
    String methodName;

    @Option(names = "--shots", paramLabel = "K", defaultValue = "16", description = "shots per class (default: ${DEFAULT-VALUE})")
    int shots;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--output", paramLabel = "FILE", required = true, description = "the adapter file to write")
    Path output;

    @Mixin
    MethodOptions method;

    @Mixin
    TemplateOptions templates;

    @Mixin
    FeatureStoreOptions store;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws IOException {
        Method m = Method.parse(methodName);
        Methods.Options o = method.options();
        List<String> tpl = templates.templates();
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            Dataset tr = DatasetArg.load(train, "train", classNames);
            Dataset va = val == null ? null : DatasetArg.load(val, "train", classNames).relabel(tr.classNames());
            FeatureStore fs = store.open(model);
            FewShotExperiment.Fitted f;
            try (Progress progress = Progress.start("encoding images", "img", 0, common.quiet)) {
                f = FewShotExperiment.fit(model, fs.withProgress(progress), tr, va, m, shots, seed, tpl, method.augmentEpochs, o);
            }
            Map<String, String> info = new LinkedHashMap<>();
            info.put("architecture", model.config().architecture());
            info.put("train", train);
            info.put("shots", String.valueOf(shots));
            info.put("seed", String.valueOf(seed));
            info.put("templates", Json.write(tpl));
            info.put("chosen", Json.write(f.chosen()));
            Map<String, Object> settings = new LinkedHashMap<>();
            method.describe(List.of(m), settings);
            info.put("settings", Json.write(settings));
            new AdapterFile(m, tr.classNames(), Hashing.sha256(opts.model), f.classifier(), info).write(output);
            Log.info("wrote " + output + ": " + m.key + ", " + tr.numClasses() + " classes, " + shots + "-shot, seed " + seed
                    + (f.chosen().isEmpty() ? "" : ", chosen on validation " + f.chosen()));
        }
        return 0;
    }
}
