package clip4j.model;

import clip4j.backend.ScalarBackend;
import clip4j.io.DType;
import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Images reach the encoder as separate arrays: a wrong size is a one-line error, and batching changes nothing. */
class ImageInputTest {
    @Test
    void wrongSizeIsAnErrorAndBatchesAgreeWithSingleImages() {
        try (ClipModel m = ClipModel.load(TestData.seededModel("test-tiny", 4, DType.F32), new ScalarBackend())) {
            int per = 3 * m.config().imageSize() * m.config().imageSize();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.imageFeatures(List.of(new float[per - 1])));
            assertTrue(e.getMessage().contains("3x32x32") && e.getMessage().contains((per - 1) + " values"), e.getMessage());
            float[] a = new float[per], b = new float[per];
            for (int i = 0; i < per; i++) {
                a[i] = (float) Math.sin(i * 0.01);
                b[i] = (float) Math.cos(i * 0.02);
            }
            float[][] both = m.imageFeatures(List.of(a, b));
            assertArrayEquals(m.imageFeatures(List.of(a))[0], both[0], 1e-6f);
            assertArrayEquals(m.imageFeatures(List.of(b))[0], both[1], 1e-6f);
        }
    }
}
