package clip4j.convert;

import clip4j.ClipException;
import clip4j.text.Bpe;
import clip4j.text.ClipTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Learns byte-level BPE merges (Sennrich et al.'s algorithm, the one behind CLIP's vocabulary) from text, with
 * CLIP's own cleaning, pre-token regex and byte table, so the merges plug into {@link Bpe} unchanged. Each step merges
 * the most frequent adjacent pair (ties: the pair whose "a b" string sorts first) until {@code maxMerges} or until no
 * pair occurs twice. Deterministic: the same text always gives the same merges.
 *
 * <p>{@link #projectMerges()} is the vocabulary clip4j builds itself for random-weight models when OpenAI's
 * bpe_simple_vocab_16e6.txt.gz is not at hand: learned from a small English corpus written for this project. It
 * tokenises any text (every byte has an id) but is not CLIP's vocabulary: models made with it cannot load trained
 * CLIP weights.
 */
public final class BpeTrainer {
    /** Upper bound on the project vocabulary's merges (the corpus supports fewer). */
    public static final int PROJECT_MAX_MERGES = 4096;
    private static final String CORPUS = "vocabulary-corpus.txt";
    private static volatile List<String> project;

    private BpeTrainer() {
    }

    /** The merges learned from the project's corpus (computed once per JVM). */
    public static List<String> projectMerges() {
        List<String> p = project;
        if (p == null) {
            try (InputStream in = BpeTrainer.class.getResourceAsStream(CORPUS)) {
                if (in == null) throw new ClipException("missing resource " + CORPUS);
                List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                        .filter(l -> !l.startsWith("#")).toList();
                p = project = learn(lines, PROJECT_MAX_MERGES);
            } catch (IOException e) {
                throw new ClipException("cannot read " + CORPUS + ": " + e.getMessage(), e);
            }
        }
        return p;
    }

    /** Merge lines "a b" in rank order, learned from the given lines of text. */
    public static List<String> learn(List<String> lines, int maxMerges) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        for (String line : lines) {
            for (String w : ClipTokenizer.preTokens(line)) {
                if (!w.equals("<|startoftext|>") && !w.equals("<|endoftext|>")) wordCounts.merge(w, 1, Integer::sum);
            }
        }
        List<List<String>> words = new ArrayList<>();
        int[] freq = new int[wordCounts.size()];
        int n = 0;
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            words.add(new ArrayList<>(Bpe.symbols(e.getKey())));
            freq[n++] = e.getValue();
        }
        List<String> merges = new ArrayList<>();
        while (merges.size() < maxMerges) {
            Map<String, Integer> pairs = new HashMap<>();
            for (int i = 0; i < words.size(); i++) {
                List<String> w = words.get(i);
                for (int j = 0; j + 1 < w.size(); j++) pairs.merge(w.get(j) + " " + w.get(j + 1), freq[i], Integer::sum);
            }
            String best = null;
            int bestCount = 1;
            for (Map.Entry<String, Integer> e : pairs.entrySet()) {
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best == null) break;
            merges.add(best);
            int sp = best.indexOf(' ');
            String a = best.substring(0, sp), b = best.substring(sp + 1);
            for (List<String> w : words) {
                for (int j = 0; j + 1 < w.size(); j++) {
                    if (w.get(j).equals(a) && w.get(j + 1).equals(b)) {
                        w.set(j, a + b);
                        w.remove(j + 1);
                    }
                }
            }
        }
        return merges;
    }
}
