package clip4j.convert.fuzz;

import clip4j.ClipException;
import clip4j.convert.torch.TorchCheckpoint;
import clip4j.fuzz.Scratch;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

/** torch.save zips and TorchScript archives: only ClipException may escape, within the fuzz JVM's 1 GB. */
class TorchZipFuzzTest {
    @FuzzTest(maxDuration = "10m")
    @Timeout(5) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void read(byte[] data) {
        try {
            TorchCheckpoint.read(Scratch.file("ckpt.pt", data)).tensors().forEach((name, s) -> {
                if (s.shape().length > 0 && s.shape()[0] > 0) s.values().get(0);
            });
        } catch (ClipException expected) {
            // refused
        }
    }
}
