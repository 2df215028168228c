package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.convert.MetaCheckpoints;
import clip4j.data.Dataset;
import clip4j.data.FeatureStore;
import clip4j.fewshot.MetaAdapter;
import clip4j.fewshot.MetaBaseTraining;
import clip4j.model.ClipModel;
import clip4j.util.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "meta-train", description = "Train a Meta-Adapter on base classes; write a checkpoint in the official layout (.pt) or safetensors.")
final class MetaTrainCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--train", required = true, description = "ImageFolder directory or fashion-mnist")
    String train;

    @Option(names = "--classnames", description = "class names file for an ImageFolder dataset")
    Path classNames;

    @Option(names = "--base-classes", required = true, description = "comma-separated classes, or halves (first half), or zero-shot (the 70% zero-shot classifies best)")
    String baseClasses;

    @Option(names = "--output", required = true, description = "checkpoint (.pt = torch.save layout, .safetensors)")
    Path output;

    @Option(names = "--shots", defaultValue = "16")
    int shots;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--epochs", defaultValue = "5")
    int epochs;

    @Option(names = "--augment-epochs", defaultValue = "10")
    int augmentEpochs;

    @Option(names = "--template", description = "a single template, {} = class name")
    String template;

    @Option(names = "--templates", description = "file with one template per line")
    Path templates;

    @Option(names = "--cache", description = "feature store directory (default ~/.cache/clip4j/features)")
    Path cache;

    @Option(names = "--strict", description = "unreadable images are errors instead of skipped")
    boolean strict;

    @Override
    public Integer call() throws Exception {
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            Dataset tr = DatasetArg.load(train, "train", classNames);
            Path store = FeatureStore.directory(cache);
            FeatureStore fs = new FeatureStore(store, model, strict);
            List<String> tpl = FewShotCommand.templates(template, templates);
            List<String> base = MetaBaseTraining.baseClasses(baseClasses, model, fs, tr, tpl);
            for (String b : base) if (!tr.classNames().contains(b)) throw new ClipException("base class '" + b + "' is not in " + train
                    + " (classes: " + String.join(", ", tr.classNames()) + ")");
            List<String> novel = tr.classNames().stream().filter(c -> !base.contains(c)).toList();
            Log.info("base classes: " + String.join(", ", base) + "; novel: " + String.join(", ", novel));
            MetaAdapter m = MetaBaseTraining.train(model, fs, tr, base, tpl, shots, seed, epochs, augmentEpochs);
            MetaCheckpoints.save(m, output);
            Log.info("wrote " + output + " (Meta-Adapter, dim " + m.dim() + ")");
            Output.line("novel classes: " + String.join(",", novel));
        }
        return 0;
    }
}
