package clip4j.text;

import clip4j.ClipException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE vocabulary and merge loop of openai/CLIP clip/simple_tokenizer.py ({@code SimpleTokenizer.__init__} and
 * {@code bpe}; docs/tokenizer.md#vocabulary, #bpe-merges). Built from the merge lines (without the header line): ids 0–255
 * single characters, 256–511 the same with {@code </w>}, then one id per merge, then SOT, EOT. OpenAI's vocabulary
 * has {@link #OPENAI_MERGES} merges (49,408 ids); a vocabulary with fewer merges keeps the same layout.
 */
public final class Bpe {
    /** Merges used by CLIP: lines [1, 48895) of the vocab file, i.e. 49152 − 256 − 2 of them. */
    public static final int OPENAI_MERGES = 49152 - 256 - 2;
    /** Ids that are not merges: 256 bytes, 256 bytes with {@code </w>}, SOT and EOT. */
    public static final int BASE_IDS = 512 + 2;
    private static final int CACHE_LIMIT = 1 << 16;

    private final Map<String, Integer> ranks = new HashMap<>();
    private final Map<String, Integer> encoder = new HashMap<>();
    private final String[] decoder;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    /** Bytes in the longest token (32 in OpenAI's vocabulary): no id covers more of a word. */
    private final int longestToken;

    /** @param merges the merge lines "a b" in rank order */
    public Bpe(List<String> merges) {
        List<String> vocab = new ArrayList<>(merges.size() + BASE_IDS);
        for (char c : ByteUnicode.ORDER) vocab.add(String.valueOf(c));
        for (char c : ByteUnicode.ORDER) vocab.add(c + "</w>");
        for (int r = 0; r < merges.size(); r++) {
            String[] p = merges.get(r).split(" ");
            if (p.length != 2) throw new ClipException("bad BPE merge line " + (r + 2) + ": '" + merges.get(r) + "'");
            ranks.put(p[0] + " " + p[1], r);
            vocab.add(p[0] + p[1]);
        }
        vocab.add("<|startoftext|>");
        vocab.add("<|endoftext|>");
        decoder = vocab.toArray(new String[0]);
        for (int i = 0; i < decoder.length; i++) encoder.put(decoder[i], i); // dict(zip(vocab, range)): the last wins
        int longest = 1;
        for (int i = 0; i < decoder.length - 2; i++) longest = Math.max(longest, decoder[i].replace("</w>", "").length());
        longestToken = longest;
    }

    /** The id of {@code <|startoftext|>}: the second-to-last. */
    public int sot() {
        return decoder.length - 2;
    }

    /** The id of {@code <|endoftext|>}: the last, so the text encoder's argmax finds it. */
    public int eot() {
        return decoder.length - 1;
    }

    public int vocabSize() {
        return decoder.length;
    }

    public String token(int id) {
        return decoder[id];
    }

    /** A pre-token before any merge: its UTF-8 bytes through the byte table, {@code </w>} on the last symbol. */
    public static List<String> symbols(String preToken) {
        byte[] utf8 = preToken.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<String> word = new ArrayList<>(utf8.length);
        for (byte b : utf8) word.add(String.valueOf(ByteUnicode.BYTE_TO_CHAR[b & 0xff]));
        word.set(word.size() - 1, word.getLast() + "</w>");
        return word;
    }

    /** Ids of one pre-token (UTF-8 bytes through the byte table, {@code </w>} on the last symbol). */
    public int[] encodeWord(String preToken) {
        int[] hit = cache.get(preToken);
        if (hit != null) return hit;
        int[] ids = merge(symbols(preToken));
        if (cache.size() < CACHE_LIMIT) cache.put(preToken, ids);
        return ids;
    }

    /**
     * The first {@code maxIds} ids of a pre-token. A word longer than maxIds × the longest token needs more than maxIds
     * ids whatever the merges, so only its first maxIds × longest bytes go through the (quadratic) merge loop: every
     * word that fits in maxIds ids gets exactly its ids, and a 10 MB word costs what a 2.4 KB one does.
     */
    public int[] encodeWord(String preToken, int maxIds) {
        long cap = (long) maxIds * longestToken;
        if (preToken.length() <= cap / 4) return firstIds(encodeWord(preToken), maxIds); // UTF-8 is at most 4 bytes a char
        byte[] utf8 = preToken.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (utf8.length <= cap) return firstIds(encodeWord(preToken), maxIds);
        List<String> prefix = new ArrayList<>((int) cap);
        for (int i = 0; i < cap; i++) prefix.add(String.valueOf(ByteUnicode.BYTE_TO_CHAR[utf8[i] & 0xff]));
        return firstIds(merge(prefix), maxIds);
    }

    private static int[] firstIds(int[] ids, int max) {
        return ids.length <= max ? ids : java.util.Arrays.copyOf(ids, max);
    }

    /** simple_tokenizer.bpe: merge the lowest-ranked adjacent pair, all its occurrences left to right, until none is left. */
    private int[] merge(List<String> word) {
        while (word.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String bestA = null, bestB = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    bestA = word.get(i);
                    bestB = word.get(i + 1);
                }
            }
            if (bestA == null) break;
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(bestA) && word.get(i + 1).equals(bestB)) {
                    merged.add(bestA + bestB);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word = merged;
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = encoder.get(word.get(i));
        return ids;
    }
}
