package clip4j.fuzz;

import clip4j.ClipException;
import clip4j.io.Safetensors;
import clip4j.io.Tensor;
import clip4j.model.ModelFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

/** The safetensors header and our model file: only ClipException may escape, within the fuzz JVM's 1 GB. */
class SafetensorsFuzzTest {
    @FuzzTest(maxDuration = "10m")
    @Timeout(5) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void header(byte[] data) {
        try (Safetensors st = Safetensors.open(Scratch.file("st.safetensors", data))) {
            for (Tensor t : st.tensors().values()) if (t.numel() > 0) t.getFloat(t.numel() - 1);
        } catch (ClipException expected) {
            // refused: the one failure allowed
        }
        try (ModelFile m = ModelFile.open(Scratch.file("m.safetensors", data))) {
            m.bpeMerges();
        } catch (ClipException expected) {
            // refused
        }
    }
}
