package clip4j.collection;

import clip4j.ClipException;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.FilterCodec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The approximate index of an embeddings folder: Lucene's HNSW graph of its embeddings (dot product of unit vectors,
 * which is their cosine), in the folder's {@code ann/} subfolder, each document holding its row number. Built from the
 * mapped shards on several threads (failed items left out) into a sibling folder renamed into place when done;
 * searched with a candidate list of ef ≥ k (more: better recall, slower).
 */
public final class AnnIndex implements AutoCloseable {
    public static final String DIR = "ann";
    static final String FIELD = "embedding", ROW = "row", ROWS = "clip4j.rows";
    /** Lucene's HNSW format indexes at most this many dimensions. */
    static final int MAX_DIMS = 1024;

    private final Directory dir;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    private AnnIndex(Path path) throws IOException {
        dir = FSDirectory.open(path);
        try {
            reader = DirectoryReader.open(dir);
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
        searcher = new IndexSearcher(reader);
    }

    /**
     * The approximate index of an embeddings folder, or null when none was built; one built when the folder held
     * another number of rows (embedded again since) is refused.
     */
    public static AnnIndex open(Index idx) {
        Path p = idx.dir().resolve(DIR);
        if (!Files.isDirectory(p)) return null;
        AnnIndex a;
        try {
            a = new AnnIndex(p);
        } catch (IOException e) {
            throw new ClipException("cannot open the approximate index " + p + ": " + e.getMessage(), e);
        }
        String rows = userData(a).get(ROWS);
        if (!Long.toString(idx.size()).equals(rows)) {
            a.close();
            throw new ClipException("the approximate index " + p + " was built for " + rows + " rows, the folder has " + idx.size()
                    + " now: build it again with 'clip4j ann --index " + idx.dir() + "'");
        }
        return a;
    }

    private static java.util.Map<String, String> userData(AnnIndex a) {
        try {
            return a.reader.getIndexCommit().getUserData();
        } catch (IOException e) {
            throw new ClipException("cannot read the approximate index: " + e.getMessage(), e);
        }
    }

    /** Removes an embeddings folder's approximate index (its rows are about to change). */
    static void remove(Path embeddings) throws IOException {
        deleteTree(embeddings.resolve(DIR));
    }

    /**
     * Builds idx's approximate index (replacing one built before): every embedded row, on threads threads, the graph
     * with m neighbours per node and a beam of beam candidates while inserting. progress is told the rows added.
     */
    public static void build(Index idx, int m, int beam, int threads, LongConsumer progress) {
        if (idx.dims() > MAX_DIMS) throw new ClipException("Lucene's HNSW index takes at most " + MAX_DIMS + " dimensions, not " + idx.dims());
        Path target = idx.dir().resolve(DIR), tmp = idx.dir().resolve(DIR + ".building");
        ExecutorService workers = Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("clip4j-ann-", 0).factory());
        try {
            deleteTree(tmp);
            KnnVectorsFormat hnsw = new Lucene99HnswVectorsFormat(m, beam, threads, threads > 1 ? workers : null);
            Codec codec = new FilterCodec(Codec.getDefault().getName(), Codec.getDefault()) {
                private final KnnVectorsFormat perField = new PerFieldKnnVectorsFormat() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return hnsw;
                    }
                };

                @Override
                public KnnVectorsFormat knnVectorsFormat() {
                    return perField;
                }
            };
            IndexWriterConfig cfg = new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE).setCodec(codec)
                    .setRAMBufferSizeMB(512).setUseCompoundFile(false);
            try (Directory d = FSDirectory.open(tmp); IndexWriter w = new IndexWriter(d, cfg)) {
                AtomicLong next = new AtomicLong();
                List<Future<?>> adders = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    adders.add(workers.submit(() -> {
                        float[] v = new float[idx.dims()];
                        long batch = 1024;
                        for (long from; (from = next.getAndAdd(batch)) < idx.size(); ) {
                            long to = Math.min(idx.size(), from + batch);
                            for (long r = from; r < to; r++) {
                                idx.vector(r, v);
                                if (zero(v)) continue;
                                Document doc = new Document();
                                doc.add(new KnnFloatVectorField(FIELD, v.clone(), VectorSimilarityFunction.DOT_PRODUCT));
                                doc.add(new NumericDocValuesField(ROW, r));
                                w.addDocument(doc);
                            }
                            progress.accept(to - from);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : adders) f.get();
                w.forceMerge(1);
                w.setLiveCommitData(java.util.Map.of(ROWS, Long.toString(idx.size())).entrySet());
                w.commit();
            }
            deleteTree(target);
            Files.move(tmp, target);
        } catch (IOException e) {
            throw new ClipException("cannot build the approximate index in " + tmp + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ClipException("building the approximate index failed: " + e.getCause(), e.getCause());
        } finally {
            workers.shutdownNow();
        }
    }

    private static boolean zero(float[] v) {
        for (float x : v) if (x != 0f) return false;
        return true;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }

    /** The rows the graph finds nearest to query, best first: up to k of ef candidates (ef ≥ k). */
    public List<Long> search(float[] query, int k, int ef) {
        try {
            TopDocs top = searcher.search(new KnnFloatVectorQuery(FIELD, query, Math.max(k, ef)), Math.max(k, ef));
            List<Long> rows = new ArrayList<>();
            List<LeafReaderContext> leaves = reader.leaves();
            for (ScoreDoc sd : top.scoreDocs) {
                if (rows.size() == k) break;
                LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
                NumericDocValues values = leaf.reader().getNumericDocValues(ROW);
                if (values == null || !values.advanceExact(sd.doc - leaf.docBase)) throw new ClipException("the approximate index lacks row numbers");
                rows.add(values.longValue());
            }
            return rows;
        } catch (IOException e) {
            throw new ClipException("approximate search failed: " + e.getMessage(), e);
        }
    }

    /** Rows in the graph. */
    public int size() {
        return reader.numDocs();
    }

    @Override
    public void close() {
        try {
            reader.close();
            dir.close();
        } catch (IOException e) {
            throw new ClipException("cannot close the approximate index: " + e.getMessage(), e);
        }
    }
}
