package clip4j.fuzz;

import clip4j.ClipException;
import clip4j.image.ImageDecoder;
import clip4j.image.Preprocessor;
import clip4j.image.RawImage;
import clip4j.model.ClipConfig;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

/**
 * Decoding (PNG, JPEG, BMP, GIF, TIFF) and CLIP's preprocessing with its pixel and aspect guards: only ClipException
 * may escape, within the fuzz JVM's 1 GB (an image at the 100-megapixel cap costs about 0.8 GB).
 */
class ImageFuzzTest {
    private static final Preprocessor PRE = new Preprocessor(224, ClipConfig.OPENAI_MEAN, ClipConfig.OPENAI_STD);

    @FuzzTest(maxDuration = "10m")
    @Timeout(10) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void decodeAndPreprocess(byte[] data) {
        try {
            RawImage img = ImageDecoder.decode(Scratch.file("img", data));
            PRE.normalize(PRE.toRgb(img));
        } catch (ClipException expected) {
            // refused
        }
    }
}
