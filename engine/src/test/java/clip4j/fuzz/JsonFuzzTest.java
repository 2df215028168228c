package clip4j.fuzz;

import clip4j.ClipException;
import clip4j.util.Json;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

/** The JSON reader (safetensors headers, Hugging Face configs): only ClipException may escape. */
class JsonFuzzTest {
    @FuzzTest(maxDuration = "10m")
    @Timeout(5) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void parse(byte[] data) {
        try {
            Object v = Json.parse(new String(data, StandardCharsets.UTF_8));
            Json.write(v);
        } catch (ClipException expected) {
            // refused
        }
    }
}
