package clip4j.text;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input: the BPE merge loop is quadratic in a word's length and the whole text was tokenised before being
 * cut to 77 tokens (a 128 KB word: 40 s, 2.46 GB). Now only the ids that can fit are computed, with the same ids for
 * every text that fits. Runs with a small vocabulary of its own, so on every machine (TokenizerTest checks OpenAI's).
 */
class TokenizerBoundsTest {
    /** A vocabulary whose longest token is 8 bytes: "ab", "abab", "ababab"... and a few others. */
    static final Bpe SMALL = new Bpe(List.of("a b", "ab ab", "abab abab", "c a", "ca b</w>", "t h", "th e</w>", "b a", "ba b</w>"));

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void cappedWordsGiveTheSameIdsWhenTheyFit() {
        Random r = new Random(5);
        for (int t = 0; t < 2000; t++) {
            StringBuilder w = new StringBuilder();
            int len = 1 + r.nextInt(120);
            for (int i = 0; i < len; i++) w.append("abcthe".charAt(r.nextInt(6)));
            int[] full = SMALL.encodeWord(w.toString());
            for (int max : new int[]{1, 3, 10, 40, 76}) {
                int[] capped = SMALL.encodeWord(w.toString(), max);
                if (full.length <= max) assertArrayEquals(full, capped, w + " with " + max);
                else assertEquals(max, capped.length, "never more than asked for");
            }
        }
    }

    @Test
    void hugeWordsAndTextsCostLittle() {
        ClipTokenizer tok = new ClipTokenizer(SMALL);
        String word = "ab".repeat(512 * 1024); // one 1 MB word
        long before = allocated();
        int[] ids = tok.tokenize(word, 77);
        long used = allocated() - before;
        assertEquals(SMALL.sot(), ids[0]);
        assertEquals(SMALL.eot(), ids[76], "cut, and the last id forced to EOT");
        assertTrue(used < 64L << 20, "a 1 MB word allocated " + (used >> 20) + " MB");

        String text = "the cab ".repeat(200_000); // 1.6 MB of short words
        before = allocated();
        int[] t = tok.tokenize(text, 77);
        used = allocated() - before;
        assertEquals(SMALL.eot(), t[76]);
        assertTrue(used < 128L << 20, "1.6 MB of text allocated " + (used >> 20) + " MB");
        assertArrayEquals(Arrays.copyOf(tok.tokenize("the cab ".repeat(40), 77), 76), Arrays.copyOf(t, 76), "the same first ids");
    }
}
