package clip4j.serve;

import clip4j.model.ClipModel;
import clip4j.model.Embeddings;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the HTTP layer asks of the engine: a text's or a preprocessed image's embedding, each request queued in its
 * encoder's {@link Batcher} and run with others' as one engine batch. Tokenizing and image decoding happen on the
 * request's own thread before this, never on the engine's.
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

    public ClipService(ClipModel model, String modelSha256, Settings s) {
        this.model = model;
        this.modelSha256 = modelSha256;
        this.settings = s;
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

    Batcher<int[], float[]> texts() {
        return texts;
    }

    Batcher<float[], float[]> images() {
        return images;
    }

    /** A tokenized text's L2-normalised embedding. */
    public CompletableFuture<float[]> embedTokens(int[] ids) throws Batcher.Rejected {
        return texts.submit(ids, settings.timeout());
    }

    /** A preprocessed image's ([3, S, S]) L2-normalised embedding. */
    public CompletableFuture<float[]> embedPixels(float[] pixels) throws Batcher.Rejected {
        return images.submit(pixels, settings.timeout());
    }

    /** Finishes what is queued (up to grace) and takes no more. */
    public void close(Duration grace) throws InterruptedException {
        texts.close(grace);
        images.close(grace);
    }

    @Override
    public void close() {
        texts.close();
        images.close();
    }
}
