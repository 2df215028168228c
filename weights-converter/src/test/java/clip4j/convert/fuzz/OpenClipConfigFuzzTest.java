package clip4j.convert.fuzz;

import clip4j.ClipException;
import clip4j.convert.Converter;
import clip4j.convert.RandomModel;
import clip4j.io.DType;
import clip4j.model.Architectures;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An open_clip directory's open_clip_config.json (the weights are a seeded tiny ResNet CLIP's, as init-random writes
 * them): converting must end in a model file or a ClipException, nothing else.
 */
class OpenClipConfigFuzzTest {
    private static Path dir;

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("clip4j-fuzz-openclip");
            RandomModel.write(Architectures.byName("test-tiny-rn").withVocabSize(600), 1, dir, null);
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().deleteOnExit());
            }
            dir.toFile().deleteOnExit();
        }
        return dir;
    }

    @FuzzTest(maxDuration = "10m")
    @Timeout(5) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void convert(byte[] configJson) {
        try {
            Path d = dir();
            Files.write(d.resolve("open_clip_config.json"), configJson);
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
