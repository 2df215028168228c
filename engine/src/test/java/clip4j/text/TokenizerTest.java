package clip4j.text;

import clip4j.testing.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Token ids exactly as upstream clip/simple_tokenizer.py ({@code SimpleTokenizer.encode}; docs/tokenizer.md) gives them
 * with OpenAI's vocabulary, which the repository does not ship: skipped loudly without it
 * ({@link TestData#requireBpe}), never skipped in CI.
 */
class TokenizerTest {
    static ClipTokenizer tok;

    @BeforeAll
    static void load() {
        tok = ClipTokenizer.fromMerges(ClipTokenizer.readMerges(TestData.requireBpe("TokenizerTest")));
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " => ", quoteCharacter = '"', value = {
            "hello world => 49406 3306 1002 49407",
            "a photo of a cat => 49406 320 1125 539 320 2368 49407",
            "a photo of a dog => 49406 320 1125 539 320 1929 49407",
            "a diagram => 49406 320 22697 49407",
            "A Photo Of A CAT!! => 49406 320 1125 539 320 2368 748 49407",
            "it's 2024, isn't it? => 49406 585 568 273 271 273 275 267 2923 713 585 286 49407",
            "tomatoes &amp; potatoes => 49406 13004 261 11567 49407",
            "café naïve => 49406 15304 1097 35689 563 49407",
            "<|startoftext|>x<|endoftext|> => 49406 49406 343 49407 49407",
            "12345 => 49406 272 273 274 275 276 49407",
            "don't stop-believing... 3.14159 => 49406 847 713 1691 268 19551 678 274 269 272 275 272 276 280 49407",
            "emoji 🐱🐶! => 49406 16327 35710 14466 256 49407",
            "日本語のテキスト => 49406 39121 44353 34002 252 21575 2429 228 47121 32421 486 49407",
            "Straße ΣΊΣΥΦΟΣ => 49406 1894 127 253 324 139 225 138 107 139 225 139 227 139 228 138 123 139 480 49407"})
    void specVectors(String text, String ids) {
        int[] want = Arrays.stream(ids.split(" ")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(want, tok.trimPadding(tok.tokenize(text, 77)), text);
    }

    @Test
    void whitespaceEmptyAndEntities() {
        assertArrayEquals(new int[]{49406, 6470, 9006, 537, 1218, 3418, 49407},
                tok.trimPadding(tok.tokenize("  multiple   spaces\tand\nnewlines  ", 77)));
        assertArrayEquals(new int[]{49406, 49407}, tok.trimPadding(tok.tokenize("", 77)));
        // no-break space and ideographic space are whitespace; curly quotes uncurl; &amp;amp; unescapes twice
        assertArrayEquals(tok.tokenize("a photo of a cat", 77), tok.tokenize("a\u00a0photo\u3000of a cat", 77));
        assertArrayEquals(tok.tokenize("it's", 77), tok.tokenize("it\u2019s", 77));
        assertArrayEquals(tok.tokenize("tomatoes & potatoes", 77), tok.tokenize("tomatoes &amp;amp; potatoes", 77));
        assertArrayEquals(tok.tokenize("ﬁne", 77), tok.tokenize("fine", 77));
        assertArrayEquals(tok.tokenize("ＣＬＩＰ", 77), tok.tokenize("clip", 77));
    }

    @Test
    void truncatesWithEotLast() {
        String longText = "cat ".repeat(100);
        int[] ids = tok.tokenize(longText, 77);
        assertEquals(77, ids.length);
        assertEquals(49406, ids[0]);
        assertEquals(49407, ids[76]);
        assertEquals(2368, ids[75]);
        int[] exact = tok.tokenize("cat ".repeat(75), 77);
        assertEquals(49407, exact[76]);
        assertEquals(2368, exact[75]);
    }

    /** The prompts of the ViT-B/32 goldens, whose ids came from OpenAI's tokenizer in scripts/make_goldens.py. */
    @Test
    @SuppressWarnings("unchecked")
    void goldenPrompts() {
        for (Object o : (java.util.List<Object>) TestData.json("/golden/vit-b-32-seed0-quick_gelu.json").get("texts")) {
            java.util.Map<String, Object> t = (java.util.Map<String, Object>) o;
            assertArrayEquals(TestData.ints(t.get("ids")), tok.trimPadding(tok.tokenize((String) t.get("text"), 77)), (String) t.get("text"));
        }
    }

    @Test
    void aLongWordIsCutAtTheContext() {
        int[] ids = tok.tokenize("x" + "supercalifragilistic".repeat(6_500), 77); // a 128 KB word
        assertEquals(49406, ids[0]);
        assertEquals(49407, ids[76]);
        assertArrayEquals(java.util.Arrays.copyOf(tok.encode("x" + "supercalifragilistic".repeat(200)), 75),
                java.util.Arrays.copyOfRange(ids, 1, 76), "the same first ids as the word's beginning");
    }

    @Test
    void vocabularyLayout() {
        Bpe bpe = tok.bpe();
        assertEquals(49408, bpe.vocabSize());
        assertEquals("!", bpe.token(0));
        assertEquals("~", bpe.token(93));
        assertEquals("Ń", bpe.token(255));
        assertEquals("in", bpe.token(512));
        assertEquals("jekyll</w>", bpe.token(49405));
        assertEquals(49406, bpe.sot());
        assertEquals(49407, bpe.eot());
    }
}
