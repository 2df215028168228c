package clip4j.cli;

import clip4j.ClipException;
import clip4j.collection.AnnIndex;
import clip4j.collection.Index;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "ann", header = "Build the approximate (HNSW) index of an embeddings folder, for 'search --ann'.",
        description = {"Builds Lucene's HNSW graph of every embedding of INDEX (an output folder of 'clip4j embed') into "
                + "INDEX/ann, replacing one built before. Exact search needs none and stays fast to tens of millions of "
                + "embeddings; the graph answers larger collections in milliseconds, at a recall below 1 (more --m, "
                + "--beam and --ef: higher recall, slower)."},
        footer = {"", "Examples:", "  clip4j ann --index index/",
                "  clip4j search --model m.safetensors --index index/ --ann --text \"a red dress\""})
final class AnnCommand implements Callable<Integer> {
    @Option(names = "--index", required = true, paramLabel = "DIR", description = "an output folder of 'clip4j embed'")
    Path index;

    @Option(names = "--m", paramLabel = "M", defaultValue = "16", description = "neighbours per node (default: ${DEFAULT-VALUE})")
    int m;

    @Option(names = "--beam", paramLabel = "B", defaultValue = "100", description = "candidates while inserting (default: ${DEFAULT-VALUE})")
    int beam;

    @Option(names = "--threads", paramLabel = "N", description = "threads (default: all cores)")
    Integer threads;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        if (m < 2 || m > 512) throw new ClipException("--m must be between 2 and 512, not " + m);
        if (beam < 1 || beam > 3200) throw new ClipException("--beam must be between 1 and 3200, not " + beam);
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (t < 1) throw new ClipException("--threads must be at least 1");
        long t0 = System.nanoTime();
        try (Index idx = Index.open(index, t, 0);
             Progress progress = Progress.start("indexing", "vec", idx.size(), common.quiet)) {
            AnnIndex.build(idx, m, beam, t, n -> progress.accept((int) n));
            Log.info(String.format(Locale.ROOT, "approximate index of %d embeddings in %s in %.1f s (m %d, beam %d, %d threads)",
                    idx.size(), index.resolve(AnnIndex.DIR), (System.nanoTime() - t0) / 1e9, m, beam, t));
        }
        return 0;
    }
}
