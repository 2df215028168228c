package clip4j.model;

import clip4j.backend.VectorBackend;
import clip4j.io.DType;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * One model and one backend shared by several threads that encode images and prompts at once: every result has the
 * bits of the same call made alone. The backend runs one multi-threaded operation at a time with its call state in
 * fields and each worker's buffers in its own workspace; the model gives each call a workspace of its own.
 */
class ConcurrentCallersTest {
    @Test
    void concurrentCallsGiveTheResultsOfSequentialOnes() throws Exception {
        Path file = TestData.seededModel("test-tiny", 21, DType.F32);
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2); ClipModel m = ClipModel.load(file, be);
             ExecutorService callers = Executors.newFixedThreadPool(4)) {
            int size = m.config().imageSize(), vocab = m.config().vocabSize();
            List<List<float[]>> images = new ArrayList<>();
            List<int[][]> prompts = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                List<float[]> px = new ArrayList<>();
                for (int i = 0; i <= c % 3; i++) {
                    float[] p = new float[3 * size * size];
                    for (int j = 0; j < p.length; j++) p[j] = (float) Math.sin(j * 0.31 + 7 * c + i);
                    px.add(p);
                }
                images.add(px);
                int[][] ids = new int[1 + c % 2][];
                for (int r = 0; r < ids.length; r++) {
                    ids[r] = new int[3 + c + r];
                    for (int t = 0; t < ids[r].length - 1; t++) ids[r][t] = (t * 37 + c * 11 + r) % (vocab - 1);
                    ids[r][ids[r].length - 1] = vocab - 1; // the EOT: the largest id
                }
                prompts.add(ids);
            }
            List<float[][]> wantImages = new ArrayList<>(), wantTexts = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                wantImages.add(m.imageFeatures(images.get(c)));
                wantTexts.add(m.textFeatures(prompts.get(c)));
            }
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                running.add(callers.submit(() -> {
                    for (int r = 0; r < 25; r++) {
                        int c = (first + r) % 6;
                        float[][] gotImage = m.imageFeatures(images.get(c)), gotText = m.textFeatures(prompts.get(c));
                        for (int i = 0; i < gotImage.length; i++) assertArrayEquals(wantImages.get(c)[i], gotImage[i], "image case " + c);
                        for (int i = 0; i < gotText.length; i++) assertArrayEquals(wantTexts.get(c)[i], gotText[i], "text case " + c);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) f.get();
        }
    }
}
