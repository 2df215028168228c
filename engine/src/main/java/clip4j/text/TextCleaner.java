package clip4j.text;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's text normalisation before pre-tokenising (upstream clip/simple_tokenizer.py {@code basic_clean},
 * {@code whitespace_clean}; docs/tokenizer.md#cleaning): the deterministic parts of
 * {@code ftfy.fix_text} with ftfy 6 defaults, then {@code html.unescape} twice and strip, whitespace_clean,
 * lowercase. Not done: ftfy's mojibake repair (fix_encoding and friends), which is the identity on
 * well-formed text.
 */
public final class TextCleaner {
    private static final Pattern TERMINAL_ESCAPE = Pattern.compile("\u001b\\[((?:\\d|;)*)([a-zA-Z])");
    private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("[\u02bc\u2018-\u201b]");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("[\u201c-\u201f]");
    private static final Pattern LINE_BREAKS = Pattern.compile("\r\n|[\r\u2028\u2029\u0085]");
    private static final String LIGATURES = "ĲĳĿŀŉǄǅǆǇǈǉǊǋǌǱǲǳﬀﬁﬂﬃﬄﬅﬆ";
    /** Python's str.isspace / regex \s: Unicode White_Space plus the ASCII separators U+001C..U+001F. */
    private static final Pattern WHITESPACE = Pattern.compile("[\\p{IsWhite_Space}\u001c-\u001f]+");

    private TextCleaner() {
    }

    public static String clean(String text) {
        String t = fixText(text);
        t = HtmlUnescape.unescape(HtmlUnescape.unescape(t));
        t = stripPython(t);
        t = WHITESPACE.matcher(t).replaceAll(" ");
        t = stripPython(t);
        return t.toLowerCase(Locale.ROOT);
    }

    /** ftfy.fix_text's deterministic steps, in ftfy's order. */
    static String fixText(String t) {
        if (t.indexOf('<') < 0) t = ftfyUnescape(t);
        t = TERMINAL_ESCAPE.matcher(t).replaceAll("");
        t = fixLatinLigatures(t);
        t = fixCharacterWidth(t);
        t = SINGLE_QUOTES.matcher(t).replaceAll("'");
        t = DOUBLE_QUOTES.matcher(t).replaceAll("\"");
        t = LINE_BREAKS.matcher(t).replaceAll("\n");
        t = removeControlChars(t);
        return Normalizer.normalize(t, Normalizer.Form.NFC);
    }

    /** ftfy's unescape_html: only complete references ending in ';', also all-caps spellings of named ones. */
    private static String ftfyUnescape(String t) {
        if (t.indexOf('&') < 0) return t;
        Matcher m = FTFY_ENTITY.matcher(t);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String ent = m.group();
            String name = ent.substring(1);
            String v = HtmlUnescape.named(name);
            if (v == null && !name.startsWith("#") && name.equals(name.toUpperCase(Locale.ROOT))) {
                v = HtmlUnescape.named(name.toLowerCase(Locale.ROOT));
                if (v != null) v = v.toUpperCase(Locale.ROOT);
            }
            if (v == null && name.startsWith("#")) v = HtmlUnescape.unescape(ent);
            m.appendReplacement(b, Matcher.quoteReplacement(v == null ? ent : v));
        }
        m.appendTail(b);
        return b.toString();
    }

    private static String fixLatinLigatures(String t) {
        StringBuilder b = null;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (LIGATURES.indexOf(c) >= 0) {
                if (b == null) b = new StringBuilder(t.substring(0, i));
                b.append(Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? t : b.toString();
    }

    /** Full-width and half-width forms (U+FF01..U+FFEF) to their NFKC equivalents; U+3000 to a space. */
    private static String fixCharacterWidth(String t) {
        StringBuilder b = new StringBuilder(t.length());
        boolean changed = false;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\u3000') {
                b.append(' ');
                changed = true;
            } else if (c >= '\uff01' && c <= '\uffef') {
                String n = Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC);
                b.append(n);
                changed |= !n.equals(String.valueOf(c));
            } else {
                b.append(c);
            }
        }
        return changed ? b.toString() : t;
    }

    /** ftfy's CONTROL_CHARS: C0 except \t \n \f \r, DEL, U+206A..U+206F, BOM, U+FFF9..U+FFFC, music and tag controls. */
    private static String removeControlChars(String t) {
        StringBuilder b = new StringBuilder(t.length());
        t.codePoints().filter(cp -> !isControl(cp)).forEach(b::appendCodePoint);
        return b.toString();
    }

    private static boolean isControl(int cp) {
        return (cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F
                || (cp >= 0x206A && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC)
                || (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE007F);
    }

    /** Python str.strip(): removes leading and trailing characters for which isspace() is true. */
    static String stripPython(String t) {
        int a = 0, b = t.length();
        while (a < b && isSpace(t.charAt(a))) a++;
        while (b > a && isSpace(t.charAt(b - 1))) b--;
        return t.substring(a, b);
    }

    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085' || (c >= 0x1c && c <= 0x1f);
    }
}
