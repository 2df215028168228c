package clip4j.fuzz;

import clip4j.text.Bpe;
import clip4j.text.ClipTokenizer;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Cleaning and tokenising any text: never an exception, always 77 ids from SOT to EOT (a small vocabulary of its own,
 * so it runs on every machine; the merge loop, cleaning and truncation are the same code as with OpenAI's).
 */
class TokenizerFuzzTest {
    private static final Bpe BPE = new Bpe(List.of("a b", "ab ab", "t h", "th e</w>", "c a", "ca t</w>", "Ġ Ġ", "ðŁ ĺ"));
    private static final ClipTokenizer TOK = new ClipTokenizer(BPE);

    @FuzzTest(maxDuration = "10m")
    @Timeout(5) // seconds per input: libFuzzer's -timeout when fuzzing, JUnit's when replaying
    void tokenize(byte[] data) {
        int[] ids = TOK.tokenize(new String(data, StandardCharsets.UTF_8), 77);
        if (ids.length != 77 || ids[0] != BPE.sot()) throw new AssertionError("no SOT first");
        for (int id : ids) if (id < 0 || id >= BPE.vocabSize()) throw new AssertionError("id " + id + " outside the vocabulary");
    }
}
