package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.collection.EmbedJob;
import clip4j.collection.Npy;
import clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed", header = "Embed an image collection into resumable shards (.npy + Parquet).",
        description = {"Embeds every image of the inputs into OUTPUT: shards embeddings-00000.npy (NumPy, [n, E], "
                + "L2-normalised, f32 or f16) with metadata-00000.parquet (key, source tar, width, height, error; a row per "
                + "embedding row) and manifest.json (model hash, preprocessing, counts). Inputs: folders (walked "
                + "recursively, sorted, links followed), webdataset .tar shards (read member by member), image files, and "
                + "text files listing image paths; with --text-column, the texts of a column of JSON-lines, CSV or Parquet "
                + "tables (metadata: key TABLE:ROW, text, tokens, truncated, error). An image that cannot be read is recorded with its reason, as a row of "
                + "zeros, and the run goes on. Each shard is written whole; run the same command again after an "
                + "interruption and it resumes at the first unfinished shard, ending with the same bytes."},
        footer = {"", "Exit codes: 0 all embedded, 1 error, 2 bad usage, 3 done but some images failed (see the metadata's error column).",
                "", "Examples:", "  clip4j embed --model m.safetensors --input photos/ --output index/",
                "  clip4j embed --model m.safetensors --input shard-0000.tar --input shard-0001.tar --output index/ --dtype f16",
                "  python3 -c \"import numpy; print(numpy.load('index/embeddings-00000.npy').shape)\""})
final class EmbedCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "a folder, a .tar shard, an image, or a "
            + "text file of image paths (one per line); repeat for several")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "folder of the shards (created)")
    Path output;

    @Option(names = "--batch", paramLabel = "B", description = "images per engine batch (default: the backend's)")
    Integer batch;

    @Option(names = "--shard-size", paramLabel = "N", defaultValue = "10000", description = "images per shard (default: ${DEFAULT-VALUE})")
    int shardSize;

    @Option(names = "--dtype", paramLabel = "T", defaultValue = "f32", description = "f32 or f16 embeddings (default: ${DEFAULT-VALUE})")
    void dtype(String t) {
        dtype = switch (t.toLowerCase(Locale.ROOT)) {
            case "f32" -> Npy.DType.F32;
            case "f16" -> Npy.DType.F16;
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--dtype must be f32 or f16, not " + t);
        };
    }

    Npy.DType dtype = Npy.DType.F32;

    @Option(names = "--decode-threads", paramLabel = "N", description = "threads reading and preprocessing images "
            + "(default: half the cores, at least 1)")
    Integer decodeThreads;

    @Option(names = "--overwrite", description = "replace what OUTPUT holds from a run with other settings")
    boolean overwrite;

    @Option(names = "--text-column", paramLabel = "NAME", description = "embed texts instead of images: the inputs are tables "
            + "(.jsonl, .csv, .tsv or .parquet) and this is the column of their texts")
    String textColumn;

    @Mixin
    CommonOptions common;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int decoders = decodeThreads != null ? decodeThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        long t0 = System.nanoTime();
        EmbedJob.Summary s;
        try (Backend be = opts.backend(); ClipModel model = opts.load(be);
             Progress progress = Progress.start("embedding", textColumn != null ? "text" : "img", 0, common.quiet)) {
            int b = batch != null ? batch : textColumn != null ? 64 : model.imageBatch();
            EmbedJob.Options o = new EmbedJob.Options(inputs, output, b, shardSize, dtype, decoders, overwrite, textColumn);
            s = EmbedJob.run(model, o, new EmbedJob.Listener() {
                @Override
                public void resumed(long items, long failed) {
                    progress.accept((int) items);
                }

                @Override
                public void done(int items, int failed) {
                    progress.accept(items);
                }

                @Override
                public void warning(String line) {
                    Log.warn(line);
                }
            });
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        long fresh = s.items() - s.resumed();
        String what = textColumn != null ? "texts" : "images";
        Log.info(String.format(Locale.ROOT, "%d %s in %d shard(s) in %s: %d embedded, %d failed%s; %.1f s, %.1f %s/s",
                s.items(), what, s.shards(), output, s.embedded(), s.failed(),
                s.resumed() > 0 ? " (" + s.resumed() + " of them in " + s.shardsResumed() + " shard(s) kept from before)" : "",
                sec, fresh / Math.max(sec, 1e-9), what));
        for (Map.Entry<String, Long> r : s.reasons().entrySet()) Log.warn(r.getValue() + " failed: " + r.getKey());
        return s.failed() > 0 ? 3 : 0;
    }
}
