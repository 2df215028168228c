package clip4j.collection;

import clip4j.ClipException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An output folder of {@link EmbedJob} opened for search: every shard's embeddings memory-mapped where they lie (the
 * page cache holds them, the heap does not), exact top-k by cosine over all rows with the {@link Scores} kernel on a
 * few threads, each hit named from its shard's metadata (read when first needed).
 */
public final class Index implements AutoCloseable {
    /** Rows per task: large enough that a task's start costs nothing, small enough that threads share the work. */
    static final int CHUNK = 16384;

    private record Shard(Path npy, Path meta, MemorySegment data, long offset, int rows, boolean f16, long first) {
    }

    /** A hit: its place among all rows (shards in order), its cosine, and its metadata row (key, source, size). */
    public record Hit(long row, float score, MetadataFile.Row item) {
    }

    private final Path dir;
    private final Map<String, Object> settings;
    private final int dims;
    private final List<Shard> shards;
    private final long size;
    private final Arena arena = Arena.ofShared();
    private final ExecutorService pool;
    private final Scores kernel;
    private final Map<Integer, List<MetadataFile.Row>> metadata = new ConcurrentHashMap<>();

    private Index(Path dir, int threads, int vectorBits) {
        this.dir = dir;
        this.kernel = Scores.of(vectorBits);
        Map<String, Object> s = Manifest.settings(dir);
        if (s == null) throw new ClipException(dir + " is not an embeddings folder (no " + Manifest.FILE + "; make one with 'clip4j embed')");
        this.settings = s;
        try {
            this.dims = Integer.parseInt(String.valueOf(s.get("dims")));
        } catch (NumberFormatException e) {
            throw new ClipException(dir.resolve(Manifest.FILE) + " gives no embedding width", e);
        }
        List<Shard> list = new ArrayList<>();
        long first = 0;
        try {
            for (int i = 0; ; i++) {
                Path npy = dir.resolve(String.format(EmbedJob.EMBEDDINGS, i)), meta = dir.resolve(String.format(EmbedJob.METADATA, i));
                if (!Files.isRegularFile(npy) || !Files.isRegularFile(meta)) break;
                Npy.Header h = Npy.readHeader(npy);
                if (h.dims() != dims) throw new ClipException(npy + " holds " + h.dims() + "-d rows, the manifest says " + dims);
                MemorySegment data;
                try (FileChannel ch = FileChannel.open(npy, StandardOpenOption.READ)) {
                    data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                }
                list.add(new Shard(npy, meta, data, h.dataOffset(), h.rows(), h.dtype() == Npy.DType.F16, first));
                first += h.rows();
            }
        } catch (IOException e) {
            arena.close();
            throw new ClipException("cannot map the shards of " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        this.shards = List.copyOf(list);
        this.size = first;
        this.pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("clip4j-search-", 0).factory());
    }

    /** @param vectorBits the kernel's width (128, 256, 512), or 0 for the JVM's preferred */
    public static Index open(Path dir, int threads, int vectorBits) {
        if (!Files.isDirectory(dir)) throw new ClipException("index not found: " + dir);
        if (threads < 1) throw new ClipException("threads must be at least 1");
        return new Index(dir, threads, vectorBits);
    }

    public int dims() {
        return dims;
    }

    /** Rows in all shards (failed items included: they are never hits). */
    public long size() {
        return size;
    }

    public int shards() {
        return shards.size();
    }

    /** The SHA-256 of the model file that made the embeddings. */
    public String modelSha256() {
        return String.valueOf(settings.get("model_sha256"));
    }

    public String architecture() {
        return String.valueOf(settings.get("architecture"));
    }

    /** The k rows of highest cosine with query (L2-normalised, dims() long), best first, ties to the lower row. */
    public List<Hit> search(float[] query, int k) {
        if (query.length != dims) throw new ClipException("a " + query.length + "-d query for an index of " + dims + "-d embeddings");
        if (k < 1) throw new ClipException("k must be at least 1");
        List<Future<TopK>> parts = new ArrayList<>();
        for (int si = 0; si < shards.size(); si++) {
            Shard s = shards.get(si);
            for (int from = 0; from < s.rows(); from += CHUNK) {
                int lo = from, hi = Math.min(s.rows(), from + CHUNK);
                parts.add(pool.submit(() -> {
                    TopK t = new TopK(k);
                    kernel.topK(s.data(), s.offset(), dims, s.f16(), lo, hi, query, s.first(), t);
                    return t;
                }));
            }
        }
        TopK all = new TopK(k);
        try {
            for (Future<TopK> f : parts) all.addAll(f.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("search interrupted", e);
        } catch (ExecutionException e) {
            throw new ClipException("search failed: " + e.getCause(), e.getCause());
        }
        List<Hit> hits = new ArrayList<>();
        for (TopK.Hit h : all.hits()) hits.add(new Hit(h.row(), h.score(), item(h.row())));
        return hits;
    }

    /**
     * The k rows of highest cosine with query that the approximate index finds among ef candidates, scored exactly
     * (the kernel of {@link #search}) and in that order.
     */
    public List<Hit> search(float[] query, int k, AnnIndex ann, int ef) {
        if (query.length != dims) throw new ClipException("a " + query.length + "-d query for an index of " + dims + "-d embeddings");
        TopK top = new TopK(k);
        float[] v = new float[dims];
        MemorySegment vs = MemorySegment.ofArray(v);
        float[] lanes = new float[64];
        for (long row : ann.search(query, k, ef)) {
            vector(row, v);
            top.offer(row, kernel.dot(vs, 0, dims, false, 0, query, lanes));
        }
        List<Hit> hits = new ArrayList<>();
        for (TopK.Hit h : top.hits()) hits.add(new Hit(h.row(), h.score(), item(h.row())));
        return hits;
    }

    /** Row row's embedding (f16 rows widened), into dst[0, dims). */
    public void vector(long row, float[] dst) {
        Shard s = shards.get(shard(row));
        int r = (int) (row - s.first());
        for (int j = 0; j < dims; j++) {
            dst[j] = s.f16() ? Float.float16ToFloat(s.data().get(Npy.F16, s.offset() + 2L * ((long) r * dims + j)))
                    : s.data().get(Npy.F32, s.offset() + 4L * ((long) r * dims + j));
        }
    }

    private int shard(long row) {
        if (row < 0 || row >= size) throw new IndexOutOfBoundsException("row " + row + " of " + size);
        int lo = 0, hi = shards.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (shards.get(mid).first() <= row) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** The metadata row of row (its shard's metadata read once, when first needed). */
    public MetadataFile.Row item(long row) {
        int si = shard(row);
        Shard s = shards.get(si);
        List<MetadataFile.Row> rows = metadata.computeIfAbsent(si, i -> MetadataFile.read(s.meta()));
        if (rows.size() != s.rows()) throw new ClipException(s.meta() + " has " + rows.size() + " rows for " + s.rows() + " embeddings");
        return rows.get((int) (row - s.first()));
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        arena.close();
    }
}
