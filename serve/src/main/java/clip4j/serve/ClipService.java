package clip4j.serve;

import clip4j.ClipException;
import clip4j.collection.Index;
import clip4j.fewshot.AdapterFile;
import clip4j.model.ClipModel;
import clip4j.zeroshot.ZeroShotClassifier;
import clip4j.model.Embeddings;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the HTTP layer asks of the engine: a text's or a preprocessed image's embedding, each request queued in its
 * encoder's {@link Batcher} and run with others' as one engine batch; and the threads that decode uploads
 * ({@link Decoding}). Tokenizing happens on the request's own thread, decoding on those, never on the engine's.
 */
public final class ClipService implements AutoCloseable {
    /** The batchers' settings: batch size, delay, queue length per encoder; how long a request may wait. */
    public record Settings(int maxBatch, Duration maxDelay, int queue, Duration timeout) {
    }

    private final ClipModel model;
    private final String modelSha256;
    private final Settings settings;
    private final Batcher<int[], float[]> texts;
    private final Batcher<float[], float[]> images;
    private final Index index;
    private final AdapterFile adapter;
    private final Decoding decoding;
    /** Zero-shot classifiers by their labels and templates, the most recent few kept. */
    private final Recent<String, ZeroShotClassifier> zeroShot = new Recent<>(64);

    /**
     * @param index   an embeddings folder of this model to search, or null
     * @param adapter a few-shot classifier of this model, or null
     */
    public ClipService(ClipModel model, String modelSha256, Settings s, Index index, AdapterFile adapter) {
        if (index != null && !index.modelSha256().equals(modelSha256)) throw new ClipException(index.dir() + " was embedded with another model");
        if (adapter != null && !adapter.modelSha256().equals(modelSha256)) throw new ClipException("the adapter file was fitted on another model's features");
        this.index = index;
        this.adapter = adapter;
        this.model = model;
        this.modelSha256 = modelSha256;
        this.settings = s;
        this.decoding = new Decoding(Math.max(1, Runtime.getRuntime().availableProcessors()), s.queue());
        this.texts = new Batcher<>("text", batch -> List.of(model.encodeTokens(batch.toArray(int[][]::new))), s.maxBatch(), s.maxDelay(), s.queue());
        this.images = new Batcher<>("image", batch -> List.of(Embeddings.normalizeRows(model.imageFeatures(batch))), s.maxBatch(), s.maxDelay(),
                s.queue());
    }

    public ClipModel model() {
        return model;
    }

    public String modelSha256() {
        return modelSha256;
    }

    public Settings settings() {
        return settings;
    }

    public Index index() {
        return index;
    }

    public AdapterFile adapter() {
        return adapter;
    }

    /** A zero-shot classifier of these labels and templates made before and still among the recent, or null. */
    ZeroShotClassifier zeroShot(List<String> labels, List<String> templates) {
        return zeroShot.get(labels + "\u0000" + templates);
    }

    void keep(List<String> labels, List<String> templates, ZeroShotClassifier classifier) {
        zeroShot.put(labels + "\u0000" + templates, classifier);
    }

    Decoding decoding() {
        return decoding;
    }

    Batcher<int[], float[]> texts() {
        return texts;
    }

    Batcher<float[], float[]> images() {
        return images;
    }

    /** A tokenized text's L2-normalised embedding; dropped unrun if it waits in the queue past timeout. */
    public CompletableFuture<float[]> embedTokens(int[] ids, Duration timeout) throws Batcher.Rejected {
        return texts.submit(ids, timeout);
    }

    /** A preprocessed image's ([3, S, S]) L2-normalised embedding; dropped unrun if it waits in the queue past timeout. */
    public CompletableFuture<float[]> embedPixels(float[] pixels, Duration timeout) throws Batcher.Rejected {
        return images.submit(pixels, timeout);
    }

    @Override
    public void close() {
        texts.close();
        images.close();
        decoding.close();
        if (index != null) index.close();
    }
}
