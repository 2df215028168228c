package clip4j.cli;

import clip4j.ClipException;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Image files through the model in batches of {@link ClipModel#imageBatch()}: each image decoded and preprocessed on
 * its own (a bad one goes to {@link BatchOptions#failed} and the rest of the batch goes on), each batch's embeddings
 * handed over as soon as they are computed, so output streams.
 */
final class ImageStream {
    interface Sink {
        void accept(Path image, float[] embedding);
    }

    private ImageStream() {
    }

    static void embed(ClipModel model, List<Path> images, BatchOptions batch, Progress progress, Sink sink) {
        int b = model.imageBatch();
        for (int s = 0; s < images.size(); s += b) {
            List<Path> chunk = images.subList(s, Math.min(images.size(), s + b));
            List<Path> ok = new ArrayList<>(chunk.size());
            List<float[]> pixels = new ArrayList<>(chunk.size());
            for (Path p : chunk) {
                try {
                    pixels.add(model.preprocessor().preprocess(p));
                    ok.add(p);
                } catch (ClipException e) {
                    batch.failed(p.toString(), e);
                }
            }
            if (!pixels.isEmpty()) {
                float[][] f = model.imageFeatures(pixels);
                for (int i = 0; i < ok.size(); i++) sink.accept(ok.get(i), Embeddings.normalize(f[i]));
            }
            progress.accept(chunk.size());
        }
    }
}
