package clip4j.cli;

import clip4j.data.Dataset;
import clip4j.data.FeatureStore;
import clip4j.fewshot.FewShotExperiment;

import java.util.Arrays;
import java.util.Locale;

/** A few-shot experiment as the commands run it: say how many images it will encode, then run it with progress. */
final class Experiments {
    private Experiments() {
    }

    static FewShotExperiment.Outcome run(FeatureStore store, Dataset train, Dataset test, Dataset val, FewShotExperiment.Config cfg,
                                         boolean quiet) {
        int needed = FewShotExperiment.encodingsNeeded(store, train, test, val, cfg);
        Log.info(String.format(Locale.ROOT, "%d test images, shots %s, seeds %s, %d augmentation pass(es): %d images to encode%s",
                test.items().size(), Arrays.toString(cfg.shots()), Arrays.toString(cfg.seeds()), cfg.augmentEpochs(), needed,
                needed == 0 ? " (all in the feature store already)" : " (time left is shown as it goes)"));
        try (Progress progress = Progress.start("encoding images", "img", needed, quiet)) {
            return FewShotExperiment.run(store.model(), store.withProgress(progress), train, test, val, cfg);
        }
    }
}
