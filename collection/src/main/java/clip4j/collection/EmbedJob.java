package clip4j.collection;

import clip4j.ClipException;
import clip4j.image.ImageDecoder;
import clip4j.image.RawImage;
import clip4j.io.AtomicFiles;
import clip4j.io.Hashing;
import clip4j.model.ClipConfig;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;
import clip4j.text.ClipTokenizer;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Embeds a collection ({@link Inputs}) into an output folder of shards, each of shardSize items in input order:
 * {@code embeddings-NNNNN.npy} (L2-normalised image embeddings, [n, E], f32 or f16; an item that failed is a row of
 * zeros) and {@code metadata-NNNNN.parquet} ({@link MetadataFile}, its rows aligned with the embeddings'), plus
 * {@link Manifest}. Each shard file is written whole and renamed into place; a shard whose two files both exist is
 * finished, and a rerun with the same settings skips its items without decoding them, so a killed run resumes where
 * it stopped and ends with the same bytes. Images are read, decoded and preprocessed by a pool of threads, at most a
 * bounded number ahead of the encoder (back-pressure), while the engine encodes them in batches in input order.
 * Memory: one shard's embeddings and the images in flight, whatever the collection's size.
 */
public final class EmbedJob {
    static final String EMBEDDINGS = "embeddings-%05d.npy", METADATA = "metadata-%05d.parquet";

    /**
     * @param decodeThreads threads reading and preprocessing images (they share the machine with the engine's)
     * @param overwrite     replace a previous run's output made with other settings instead of refusing
     * @param textColumn    null for images; else the inputs are tables ({@link TextInputs}) and this column's texts
     *                      are embedded
     */
    public record Options(List<String> inputs, Path output, int batch, int shardSize, Npy.DType dtype, int decodeThreads,
                          boolean overwrite, String textColumn) {
        /** Images. */
        public Options(List<String> inputs, Path output, int batch, int shardSize, Npy.DType dtype, int decodeThreads, boolean overwrite) {
            this(inputs, output, batch, shardSize, dtype, decodeThreads, overwrite, null);
        }

        public Options {
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) throw new ClipException("no inputs to embed");
            if (batch < 1) throw new ClipException("batch must be at least 1, not " + batch);
            if (shardSize < 1) throw new ClipException("shard size must be at least 1, not " + shardSize);
            if (decodeThreads < 1) throw new ClipException("decode threads must be at least 1, not " + decodeThreads);
        }
    }

    /** What a run tells as it goes: items done (embedded or failed), and warnings about what is not an image. */
    public interface Listener {
        /** A finished shard of an earlier run kept: its items, of which failed ones. */
        void resumed(long items, long failed);

        void done(int items, int failed);

        void warning(String line);
    }

    /**
     * Counts of the whole output (kept shards included; resumed says how many items they hold); reasons groups this
     * run's failures by their reason, without the item's name.
     */
    public record Summary(long items, long embedded, long failed, long resumed, int shards, int shardsResumed,
                          Map<String, Long> reasons) {
    }

    private final ClipModel model;
    private final Options o;
    private final Listener listener;
    private final int dims;

    private EmbedJob(ClipModel model, Options o, Listener listener) {
        this.model = model;
        this.o = o;
        this.listener = listener;
        this.dims = model.config().embedDim();
    }

    public static Summary run(ClipModel model, Options o, Listener listener) {
        return new EmbedJob(model, o, listener).run();
    }

    /** The settings that decide the output's bytes. */
    private Map<String, Object> settings() {
        ClipConfig c = model.config();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model_sha256", Hashing.sha256(model.file().path()));
        s.put("architecture", c.architecture());
        s.put("dims", String.valueOf(dims));
        if (texts()) {
            s.put("kind", "text");
            s.put("text_column", o.textColumn());
            s.put("preprocessing", "CLIP BPE tokenizer, context " + c.contextLength() + ", longer texts cut (clip.tokenize(truncate=True))");
        } else {
            s.put("preprocessing", "resize " + c.imageSize() + " bicubic shortest side (Pillow), center crop " + c.imageSize()
                    + ", RGB, mean " + Arrays.toString(c.imageMean()) + ", std " + Arrays.toString(c.imageStd()));
        }
        s.put("normalized", "L2");
        s.put("dtype", o.dtype().name().toLowerCase(java.util.Locale.ROOT));
        s.put("shard_size", String.valueOf(o.shardSize()));
        s.put("inputs", o.inputs());
        return s;
    }

    private boolean texts() {
        return o.textColumn() != null;
    }

    private Summary run() {
        Path out = o.output();
        if (Files.exists(out) && !Files.isDirectory(out)) throw new ClipException("output " + out + " exists and is not a folder");
        for (String in : o.inputs()) if (!Files.exists(Path.of(in))) throw new ClipException("input not found: " + in);
        Map<String, Object> settings = settings();
        Map<String, Object> before = Manifest.settings(out);
        if (before != null) {
            String diff = Manifest.difference(before, settings);
            if (diff != null && !o.overwrite()) {
                throw new ClipException(out + " holds embeddings made with another " + diff.replace('_', ' ')
                        + ": use another --output, or --overwrite to replace them");
            }
            if (diff != null) removeShards(out);
        } else if (hasShards(out)) {
            if (!o.overwrite()) throw new ClipException(out + " holds shards but no " + Manifest.FILE + ": use another --output, or --overwrite");
            removeShards(out);
        }
        Manifest.write(out, settings, Map.of("complete", false));
        Summary s = new Pipeline().run();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("complete", true);
        result.put("items", s.items());
        result.put("embedded", s.embedded());
        result.put("failed", s.failed());
        result.put("shards", s.shards());
        Manifest.write(out, settings, result);
        return s;
    }

    private Path embeddings(int shard) {
        return o.output().resolve(String.format(EMBEDDINGS, shard));
    }

    private Path metadata(int shard) {
        return o.output().resolve(String.format(METADATA, shard));
    }

    private boolean finished(int shard) {
        return Files.isRegularFile(embeddings(shard)) && Files.isRegularFile(metadata(shard));
    }

    private static boolean hasShards(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.anyMatch(p -> isShardFile(p.getFileName().toString()));
        } catch (IOException e) {
            throw new ClipException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean isShardFile(String name) {
        return name.matches("embeddings-\\d{5,}\\.npy|metadata-\\d{5,}\\.parquet");
    }

    private static void removeShards(Path dir) {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) if (isShardFile(p.getFileName().toString())) Files.delete(p);
            Files.deleteIfExists(dir.resolve(Manifest.FILE));
            AnnIndex.remove(dir);
        } catch (IOException e) {
            throw new ClipException("cannot clear " + dir + ": " + e.getMessage(), e);
        }
    }

    /** An item read and preprocessed (an image's pixels, or a text's token ids), or why not. */
    private record Decoded(long index, Item item, int width, int height, float[] pixels, int[] ids, int tokens, boolean truncated,
                           String error) {
        static Decoded failed(long index, Item item, String error) {
            return new Decoded(index, item, -1, -1, null, null, -1, false, error);
        }
    }

    private static final Object END = new Object();

    /** The producer (reading items, handing them to the decoders) and the consumer (encoding, writing shards). */
    private final class Pipeline {
        private final ExecutorService decoders = Executors.newFixedThreadPool(o.decodeThreads(),
                Thread.ofPlatform().daemon().name("clip4j-decode-", 0).factory());
        /** Futures of decoded items in input order, then END or the producer's error: at most this many ahead. */
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(2 * o.batch() + 2 * o.decodeThreads());
        private volatile boolean stop;
        private long items, embedded, failed, resumed;
        private int shards, shardsResumed;
        private final Map<String, Long> reasons = new TreeMap<>();

        Summary run() {
            Thread producer = Thread.ofPlatform().daemon().name("clip4j-inputs").start(this::produce);
            try {
                consume();
            } finally {
                stop = true;
                producer.interrupt();
                decoders.shutdownNow();
            }
            return new Summary(items, embedded, failed, resumed, shards, shardsResumed, reasons);
        }

        private void produce() {
            try (Items in = texts() ? new TextInputs(o.inputs(), o.textColumn()) : new Inputs(o.inputs(), listener::warning)) {
                long index = 0;
                int skipping = -1;
                long skipped = 0;
                while (!stop && in.hasNext()) {
                    Item item = in.next();
                    int shard = (int) (index / o.shardSize());
                    if (shard != skipping && skipping >= 0) {
                        checkSkipped(skipping, skipped);
                        skipping = -1;
                    }
                    if (skipping < 0 && finished(shard) && index % o.shardSize() == 0) {
                        skipping = shard;
                        skipped = 0;
                    }
                    if (skipping == shard) {
                        skipped++;
                    } else {
                        long i = index;
                        queue.put(decoders.submit(() -> decode(i, item)));
                    }
                    index++;
                }
                if (skipping >= 0) checkSkipped(skipping, skipped);
                queue.put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                try {
                    queue.put(t);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** A finished shard of an earlier run must hold what the inputs give it now. */
        private void checkSkipped(int shard, long count) throws InterruptedException {
            int rows = Npy.readHeader(embeddings(shard)).rows();
            if (rows != count) {
                throw new ClipException("the inputs changed since " + embeddings(shard).getFileName() + " was written (it holds "
                        + rows + " items, the inputs now give " + count + "): use --overwrite to embed them again");
            }
            long bad = MetadataFile.read(metadata(shard)).stream().filter(r -> !r.ok()).count();
            queue.put(new Skipped(count, bad));
        }

        private record Skipped(long count, long failed) {
        }

        private Decoded decode(long index, Item item) {
            if (item.error() != null) return Decoded.failed(index, item, item.error());
            try {
                if (item.text() != null) {
                    ClipTokenizer.Tokenized t = model.tokenizer().tokenizeQuietly(item.text(), model.config().contextLength());
                    return new Decoded(index, item, -1, -1, null, t.ids(), model.tokenizer().trimPadding(t.ids()).length, t.truncated(), null);
                }
                RawImage img = item.bytes() != null ? ImageDecoder.decode(item.bytes(), item.key()) : ImageDecoder.decode(item.path());
                return new Decoded(index, item, img.width(), img.height(), model.preprocessor().preprocess(img), null, -1, false, null);
            } catch (ClipException e) {
                return Decoded.failed(index, item, e.getMessage());
            } catch (RuntimeException e) {
                return Decoded.failed(index, item, "cannot read " + item.key() + ": " + e);
            }
        }

        // the shard being filled
        private int shard = -1;
        private boolean annRemoved;
        private final List<MetadataFile.Row> rows = new ArrayList<>();
        private final List<float[]> vectors = new ArrayList<>();
        private final List<Decoded> batch = new ArrayList<>();

        private void consume() {
            try {
                while (true) {
                    Object next = queue.take();
                    if (next == END) break;
                    if (next instanceof Throwable t) {
                        if (t instanceof RuntimeException r) throw r;
                        if (t instanceof Error e) throw e;
                        throw new ClipException("reading the inputs failed: " + t, t);
                    }
                    if (next instanceof Skipped s) {
                        resumed += s.count();
                        items += s.count();
                        failed += s.failed();
                        embedded += s.count() - s.failed();
                        shardsResumed++;
                        shards++;
                        listener.resumed(s.count(), s.failed());
                        continue;
                    }
                    @SuppressWarnings("unchecked") Decoded d = ((Future<Decoded>) next).get();
                    int s = (int) (d.index() / o.shardSize());
                    if (s != shard) {
                        finishShard();
                        shard = s;
                    }
                    add(d);
                }
                finishShard();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClipException("interrupted", e);
            } catch (ExecutionException e) {
                throw new ClipException("decoding failed: " + e.getCause(), e.getCause());
            }
        }

        private void add(Decoded d) {
            items++;
            rows.add(new MetadataFile.Row(d.item().key(), d.item().source(), d.width(), d.height(), d.item().text(), d.tokens(), d.truncated(),
                    d.error()));
            vectors.add(null);
            if (d.error() != null) {
                failed++;
                reasons.merge(reason(d.error()), 1L, Long::sum);
                listener.done(1, 1);
                return;
            }
            batch.add(d);
            if (batch.size() == o.batch()) encode();
        }

        private void encode() {
            if (batch.isEmpty()) return;
            float[][] f;
            if (texts()) {
                f = model.encodeTokens(batch.stream().map(Decoded::ids).toArray(int[][]::new)); // L2-normalised
            } else {
                f = Embeddings.normalizeRows(model.imageFeatures(batch.stream().map(Decoded::pixels).toList()));
            }
            for (int i = 0; i < batch.size(); i++) vectors.set((int) (batch.get(i).index() % o.shardSize()), f[i]);
            embedded += batch.size();
            listener.done(batch.size(), 0);
            batch.clear();
        }

        private void finishShard() {
            encode();
            if (shard < 0 || rows.isEmpty()) return;
            float[] zero = new float[dims];
            List<float[]> out = vectors.stream().map(v -> v == null ? zero : v).toList();
            List<MetadataFile.Row> meta = List.copyOf(rows);
            if (!annRemoved) {
                // the rows change: an approximate index built before no longer matches them
                try {
                    AnnIndex.remove(o.output());
                } catch (IOException e) {
                    throw new ClipException("cannot remove the out-of-date approximate index in " + o.output() + ": " + e.getMessage(), e);
                }
                annRemoved = true;
            }
            // the embeddings last: a shard counts as finished when both files are there
            AtomicFiles.write(metadata(shard), tmp -> MetadataFile.write(tmp, meta, texts()));
            AtomicFiles.write(embeddings(shard), tmp -> {
                try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                    Npy.write(os, out, dims, o.dtype());
                }
            });
            shards++;
            rows.clear();
            vectors.clear();
        }
    }

    /** A failure's reason without the item's name, for the summary: "corrupt or truncated image", "not an image ...". */
    static String reason(String error) {
        int colon = error.indexOf(':');
        String head = colon > 0 ? error.substring(0, colon) : error;
        return head.replaceAll("\\s+\\S*[/\\\\]\\S*", "").replaceAll(" \\S+\\.(?i)(jpe?g|png|webp|bmp|gif|tiff?)\\b", "").strip();
    }
}
