package clip4j.convert.fuzz;

import clip4j.ClipException;
import clip4j.convert.pickle.Globals;
import clip4j.convert.pickle.Unpickler;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

class UnpicklerFuzzTest {
    @FuzzTest(maxDuration = "10m")
    @Timeout(5) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void onlyClipExceptions(byte[] data) {
        try {
            Unpickler.load(data, new Globals());
        } catch (ClipException expected) {
            // a refused or corrupt pickle: the one failure allowed
        }
    }
}
