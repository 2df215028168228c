package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.convert.MetaCheckpoints;
import clip4j.data.Dataset;
import clip4j.data.FeatureStore;
import clip4j.fewshot.MetaAdapter;
import clip4j.fewshot.MetaBaseTraining;
import clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "meta-train", header = "Train a Meta-Adapter on base classes.",
        description = {"Trains a Meta-Adapter on base classes and writes the checkpoint in the official layout (.pt, "
                + "loadable by the paper's code) or as safetensors. Prints the novel classes (those not trained on) on "
                + "stdout, for 'clip4j fewshot --method meta --meta-checkpoint FILE --eval-classes NOVEL'.",
                "",
                "--base-classes: a comma-separated list; 'halves' (the first half of the classes); or 'zero-shot' (the "
                        + "paper's split: the 70%% of classes zero-shot classifies best are the base, the rest novel)."},
        footer = {"", "Examples:",
                "  clip4j meta-train --model m.safetensors --train fashion-mnist \\",
                "      --base-classes zero-shot --output meta.pt",
                "  clip4j fewshot --model m.safetensors --train fashion-mnist \\",
                "      --test fashion-mnist --method meta --meta-checkpoint meta.pt \\",
                "      --eval-classes \"Shirt,Ankle boot\"     # the novel classes it printed"})
final class MetaTrainCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--train", paramLabel = "DATA", required = true, description = "fashion-mnist, shapes, or an ImageFolder directory")
    String train;

    @Option(names = "--classnames", paramLabel = "FILE", description = "class names file for an ImageFolder dataset")
    Path classNames;

    @Option(names = "--base-classes", paramLabel = "CLASSES", required = true, description = "comma-separated classes, or halves (first half), or zero-shot (the 70%% zero-shot classifies best)")
    String baseClasses;

    @Option(names = "--output", paramLabel = "FILE", required = true, description = "checkpoint (.pt = torch.save layout, .safetensors)")
    Path output;

    @Option(names = "--shots", paramLabel = "K", defaultValue = "16", description = "shots per base class")
    int shots;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "sampling and initialisation seed")
    long seed;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "5", description = "training epochs")
    int epochs;

    @Option(names = "--augment-epochs", paramLabel = "N", defaultValue = "10", description = "augmentation passes of the support images")
    int augmentEpochs;

    @Mixin
    TemplateOptions templates;

    @Mixin
    FeatureStoreOptions store;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            Dataset tr = DatasetArg.load(train, "train", classNames);
            MetaAdapter m;
            List<String> novel;
            try (Progress progress = Progress.start("encoding images", "img", 0, common.quiet)) {
                FeatureStore fs = store.open(model).withProgress(progress);
                List<String> tpl = templates.templates();
                List<String> base = MetaBaseTraining.baseClasses(baseClasses, model, fs, tr, tpl);
                for (String b : base) if (!tr.classNames().contains(b)) throw new ClipException("base class '" + b + "' is not in " + train
                        + " (classes: " + String.join(", ", tr.classNames()) + ")");
                novel = tr.classNames().stream().filter(c -> !base.contains(c)).toList();
                Log.info("base classes: " + String.join(", ", base) + "; novel: " + String.join(", ", novel));
                m = MetaBaseTraining.train(model, fs, tr, base, tpl, shots, seed, epochs, augmentEpochs);
            }
            MetaCheckpoints.save(m, output);
            Log.info("wrote " + output + " (Meta-Adapter, dim " + m.dim() + ")");
            Output.line("novel classes: " + String.join(",", novel));
        }
        return 0;
    }
}
