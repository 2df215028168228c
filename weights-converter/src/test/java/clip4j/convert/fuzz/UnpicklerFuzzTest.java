package clip4j.convert.fuzz;

import clip4j.ClipException;
import clip4j.convert.pickle.Globals;
import clip4j.convert.pickle.Unpickler;
import com.code_intelligence.jazzer.junit.FuzzTest;

class UnpicklerFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void onlyClipExceptions(byte[] data) {
        try {
            Unpickler.load(data, new Globals());
        } catch (ClipException expected) {
            // a refused or corrupt pickle: the one failure allowed
        }
    }
}
