package clip4j.convert.fuzz;

import clip4j.ClipException;
import clip4j.convert.Converter;
import clip4j.io.DType;
import clip4j.testing.TestData;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face directory's config.json (the weights are the tiny fixture's): converting must end in a model file or
 * a ClipException, nothing else.
 */
class HfConfigFuzzTest {
    private static Path dir;

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("clip4j-fuzz-hf");
            Files.copy(TestData.resource("/fixtures/tiny-hf/model.safetensors"), dir.resolve("model.safetensors"));
            dir.toFile().deleteOnExit();
            dir.resolve("model.safetensors").toFile().deleteOnExit();
        }
        return dir;
    }

    @FuzzTest(maxDuration = "10m")
    @Timeout(5) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void convert(byte[] configJson) {
        try {
            Path d = dir();
            Files.write(d.resolve("config.json"), configJson);
            Path out = d.resolve("out.safetensors");
            Converter.convert(d, out, null, null, DType.F32);
            Files.deleteIfExists(out);
        } catch (ClipException expected) {
            // refused
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
