package clip4j.text;

import clip4j.ClipException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * CLIP's tokenizer (openai/CLIP clip/simple_tokenizer.py {@code SimpleTokenizer.encode}, clip/clip.py
 * {@code tokenize}; docs/tokenizer.md): {@link TextCleaner}, the pre-token regex (docs/tokenizer.md#pre-tokens),
 * {@link Bpe}, and [SOT] + ids + [EOT], truncated to the context length with the last id forced to EOT (with a
 * warning), zero-padded (docs/tokenizer.md#context-and-truncation).
 */
public final class ClipTokenizer {
    private static final System.Logger LOG = System.getLogger("clip4j");

    private static final Pattern PRE_TOKEN = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private final Bpe bpe;

    public ClipTokenizer(Bpe bpe) {
        this.bpe = bpe;
    }

    /** From the merges text embedded in a model file (merge lines only, newline-separated). */
    public static ClipTokenizer fromMerges(String mergesText) {
        return new ClipTokenizer(new Bpe(mergesText.lines().toList()));
    }

    /** A BPE file, compressed or not, may hold this much: OpenAI's is 1.4 MB, 3.2 MB unpacked. */
    static final int MAX_BPE_BYTES = 64 << 20;

    private static byte[] readAtMost(InputStream in, int max, Path file) throws IOException {
        byte[] b = in.readNBytes(max);
        if (in.read() >= 0) throw new ClipException(file + " is larger than a BPE vocabulary can be (" + (max >> 20) + " MB)");
        return b;
    }

    /** The merge lines CLIP uses from OpenAI's bpe_simple_vocab_16e6.txt.gz: the first {@link Bpe#OPENAI_MERGES}. */
    public static String readMerges(Path bpeFile) {
        return readMerges(bpeFile, Bpe.OPENAI_MERGES);
    }

    /**
     * The first {@code count} merge lines of a BPE file (gzip or plain text; its first line is a header), as CLIP's
     * {@code merges[1:count + 1]} takes them.
     */
    public static String readMerges(Path bpeFile, int count) {
        if (!Files.isRegularFile(bpeFile)) throw new ClipException("BPE file not found: " + bpeFile);
        try {
            byte[] all;
            try (InputStream raw = Files.newInputStream(bpeFile)) {
                all = readAtMost(raw, MAX_BPE_BYTES, bpeFile);
            }
            if (all.length >= 2 && (all[0] & 0xff) == 0x1f && (all[1] & 0xff) == 0x8b) {
                try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(all))) {
                    all = readAtMost(gz, MAX_BPE_BYTES, bpeFile);
                }
            }
            return merges(new String(all, StandardCharsets.UTF_8).lines().toList(), count, bpeFile.toString());
        } catch (IOException e) {
            throw new ClipException("cannot read BPE file " + bpeFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * The first {@code count} merges of a merges file's lines: its first line is a header (CLIP's
     * {@code bpe_simple_vocab_16e6.txt} and Hugging Face's {@code merges.txt} alike), so these are CLIP's
     * {@code merges[1:count + 1]}; empty lines (a trailing newline) are not merges.
     */
    public static String merges(List<String> lines, int count, String source) {
        List<String> merges = lines.subList(Math.min(1, lines.size()), lines.size()).stream().filter(l -> !l.isEmpty()).toList();
        if (merges.size() < count) throw new ClipException(source + " has " + merges.size() + " BPE merge lines, " + count + " are needed");
        return String.join("\n", merges.subList(0, count));
    }

    public Bpe bpe() {
        return bpe;
    }

    /** The pre-tokens of a text after cleaning: the words the BPE sees, in order. */
    public static List<String> preTokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = PRE_TOKEN.matcher(TextCleaner.clean(text));
        while (m.find()) out.add(m.group());
        return out;
    }

    /** Token ids of a text without SOT/EOT (simple_tokenizer.encode). */
    public int[] encode(String text) {
        return encode(text, Integer.MAX_VALUE);
    }

    /**
     * The first {@code maxIds} ids of {@link #encode(String)}: the text is read only until they are known, so a
     * megabyte of text costs no more than its first words (the cleaning is linear).
     */
    public int[] encode(String text, int maxIds) {
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        Matcher m = PRE_TOKEN.matcher(TextCleaner.clean(text));
        while (total < maxIds && m.find()) {
            String tok = m.group();
            int[] ids = switch (tok) {
                case "<|startoftext|>" -> new int[]{bpe.sot()};
                case "<|endoftext|>" -> new int[]{bpe.eot()};
                default -> bpe.encodeWord(tok, maxIds - total);
            };
            parts.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /**
     * clip.tokenize(text, contextLength, truncate=True): SOT + ids + EOT, zero-padded to contextLength. Only the first
     * contextLength − 1 ids of the text are computed: one more than fit tells that it is cut.
     */
    public int[] tokenize(String text, int contextLength) {
        Tokenized t = tokenizeQuietly(text, contextLength);
        if (t.truncated()) {
            LOG.log(System.Logger.Level.WARNING, "prompt longer than " + contextLength + " tokens truncated: \"" + abbreviate(text) + "\"");
        }
        return t.ids();
    }

    /** A tokenized text, and whether it was cut to fit the context. */
    public record Tokenized(int[] ids, boolean truncated) {
    }

    /** {@link #tokenize} without the warning: a caller that records truncation itself (a collection of captions). */
    public Tokenized tokenizeQuietly(String text, int contextLength) {
        int[] body = encode(text, contextLength - 1);
        int[] ids = new int[contextLength];
        int n = body.length + 2;
        ids[0] = bpe.sot();
        int keep = Math.min(body.length, contextLength - 1);
        System.arraycopy(body, 0, ids, 1, keep);
        ids[Math.min(n, contextLength) - 1] = bpe.eot();
        return new Tokenized(ids, n > contextLength);
    }

    /** The ids up to and including the last EOT: the unpadded form that the JSON output shows. */
    public int[] trimPadding(int[] ids) {
        for (int i = ids.length - 1; i >= 0; i--) if (ids[i] == bpe.eot()) return Arrays.copyOf(ids, i + 1);
        return ids;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
