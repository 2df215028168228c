package clip4j.cli;

import clip4j.data.FeatureStore;
import clip4j.model.ClipModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where the few-shot commands keep encoded features, and what an unreadable image does. */
final class FeatureStoreOptions {
    @Option(names = "--cache", paramLabel = "DIR", description = "feature store directory (default: features/ in the user cache, "
            + "$CLIP4J_CACHE or $XDG_CACHE_HOME/clip4j or ~/.cache/clip4j)")
    Path cache;

    @Option(names = "--strict", description = "unreadable images are errors instead of skipped")
    boolean strict;

    FeatureStore open(ClipModel model) {
        return new FeatureStore(UserCache.features(cache), model, strict);
    }
}
