package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.collection.AnnIndex;
import clip4j.collection.Index;
import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "search", header = "Search embedded images by a text or an image (exact top-k by cosine).",
        description = {"Embeds the query with the model that made the index ('clip4j embed'; a different model is refused) "
                + "and prints the k images of highest cosine similarity as JSON lines {\"rank\", \"score\", \"key\", "
                + "\"source\", \"row\"}, best first. Exact: every embedding is scored, straight from the memory-mapped "
                + "shards."},
        footer = {"", "Examples:", "  clip4j search --model m.safetensors --index index/ --text \"a red dress\"",
                "  clip4j search --model m.safetensors --index index/ --image query.jpg --k 20"})
final class SearchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--index", required = true, paramLabel = "DIR", description = "an output folder of 'clip4j embed'")
    Path index;

    static final class Query {
        @Option(names = "--text", paramLabel = "TEXT", description = "find images that match this text")
        String text;

        @Option(names = "--image", paramLabel = "FILE", description = "find images similar to this one")
        Path image;
    }

    @ArgGroup(multiplicity = "1")
    Query query;

    @Option(names = "--k", paramLabel = "K", defaultValue = "10", description = "how many results (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--ann", description = "search the approximate index ('clip4j ann') instead of every embedding")
    boolean ann;

    @Option(names = "--ef", paramLabel = "N", defaultValue = "100", description = "candidates of an approximate search, "
            + "at least k (default: ${DEFAULT-VALUE}; more: higher recall, slower)")
    int ef;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        if (k < 1 || k > 100_000) throw new ClipException("--k must be between 1 and 100000, not " + k);
        if (ef < 1 || ef > 100_000) throw new ClipException("--ef must be between 1 and 100000, not " + ef);
        int threads = opts.engine.options().threads();
        try (Index idx = Index.open(index, threads, 0)) {
            String hash = Hashing.sha256(opts.model);
            if (!hash.equals(idx.modelSha256())) {
                throw new ClipException(index + " was embedded with another model (" + idx.architecture() + ", SHA-256 "
                        + idx.modelSha256().substring(0, Math.min(12, idx.modelSha256().length())) + "…), not " + opts.model);
            }
            float[] q;
            try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
                q = query.text != null ? model.encodeTexts(List.of(query.text))[0] : model.encodeImages(List.of(query.image))[0];
            }
            long t0 = System.nanoTime();
            List<Index.Hit> hits;
            if (ann) {
                try (AnnIndex a = AnnIndex.open(idx)) {
                    if (a == null) throw new ClipException(index + " has no approximate index: build it with 'clip4j ann --index " + index + "'");
                    hits = idx.search(q, k, a, ef);
                }
            } else {
                hits = idx.search(q, k);
            }
            Log.info(String.format(Locale.ROOT, "searched %d embeddings in %d shard(s)%s in %.1f ms", idx.size(), idx.shards(),
                    ann ? " (approximate, ef " + Math.max(ef, k) + ")" : "", (System.nanoTime() - t0) / 1e6));
            int rank = 1;
            for (Index.Hit h : hits) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("rank", rank++);
                r.put("score", h.score());
                r.put("key", h.item().key());
                r.put("source", h.item().source());
                r.put("row", h.row());
                Output.jsonLine(r);
            }
        }
        return 0;
    }
}
