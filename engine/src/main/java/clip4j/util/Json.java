package clip4j.util;

import clip4j.ClipException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer (RFC 8259) for safetensors headers, config.json and our CLI output.
 * Objects become {@code LinkedHashMap<String,Object>}, arrays {@code List<Object>}, numbers {@code Double} or
 * {@code Long}, and literals {@code Boolean} or {@code null}. Depth is capped so hostile input cannot blow the stack.
 */
public final class Json {
    private static final int MAX_DEPTH = 256;
    private final String s;
    private int pos;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value that must span the whole text. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipWs();
        Object v = p.value(0);
        p.skipWs();
        if (p.pos != text.length()) throw p.error("trailing characters");
        return v;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) throw new ClipException("JSON: expected an object at the top level");
        return (Map<String, Object>) v;
    }

    private ClipException error(String what) {
        return new ClipException("JSON: " + what + " at offset " + pos);
    }

    private void skipWs() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
            else break;
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw error("nesting too deep");
        if (pos >= s.length()) throw error("unexpected end");
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, pos)) throw error("bad literal");
        pos += word.length();
        return v;
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        pos++;
        skipWs();
        if (peek() == '}') {
            pos++;
            return m;
        }
        while (true) {
            skipWs();
            if (peek() != '"') throw error("expected a key");
            String k = string();
            skipWs();
            expect(':');
            skipWs();
            Object v = value(depth + 1);
            if (m.containsKey(k)) throw error("duplicate key '" + k + "'");
            m.put(k, v);
            skipWs();
            char c = next();
            if (c == '}') return m;
            if (c != ',') throw error("expected ',' or '}'");
        }
    }

    private List<Object> array(int depth) {
        List<Object> a = new ArrayList<>();
        pos++;
        skipWs();
        if (peek() == ']') {
            pos++;
            return a;
        }
        while (true) {
            skipWs();
            a.add(value(depth + 1));
            skipWs();
            char c = next();
            if (c == ']') return a;
            if (c != ',') throw error("expected ',' or ']'");
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') return b.toString();
            if (c < 0x20) throw error("control character in string");
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) throw error("bad \\u escape");
                    int code = 0;
                    for (int i = 0; i < 4; i++) {
                        int digit = Character.digit(s.charAt(pos + i), 16);
                        // four ASCII hex digits: no sign (Integer.parseInt took "+123"), no other script's digits
                        if (digit < 0 || s.charAt(pos + i) > 'f') throw error("bad \\u escape");
                        code = code * 16 + digit;
                    }
                    b.append((char) code);
                    pos += 4;
                }
                default -> throw error("bad escape");
            }
        }
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') pos++;
        boolean fractional = false;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c >= '0' && c <= '9') pos++;
            else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                fractional = true;
                pos++;
            } else break;
        }
        String t = s.substring(start, pos);
        if (t.isEmpty() || t.equals("-")) throw error("unexpected character");
        if (!fractional) {
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException ex) {
                // too large for a long: a double below
            }
        }
        double d;
        try {
            d = Double.parseDouble(t);
        } catch (NumberFormatException ex) {
            throw error("bad number '" + t + "'");
        }
        if (!Double.isFinite(d)) throw error("number '" + t + "' out of range");
        return d;
    }

    private char peek() {
        if (pos >= s.length()) throw error("unexpected end");
        return s.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            pos--;
            throw error("expected '" + c + "'");
        }
    }

    /** Writes a value (Map, List, String, Number, Boolean, null, float[], int[]) as compact JSON. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    public static void write(StringBuilder b, Object v) {
        switch (v) {
            case null -> b.append("null");
            case String str -> quote(b, str);
            case Boolean bool -> b.append(bool);
            case Float f -> b.append(finite(f));
            case Double d -> b.append(finite(d));
            case Number n -> b.append(n);
            case float[] fa -> {
                b.append('[');
                for (int i = 0; i < fa.length; i++) {
                    if (i > 0) b.append(',');
                    b.append(finite(fa[i]));
                }
                b.append(']');
            }
            case int[] ia -> {
                b.append('[');
                for (int i = 0; i < ia.length; i++) {
                    if (i > 0) b.append(',');
                    b.append(ia[i]);
                }
                b.append(']');
            }
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    quote(b, String.valueOf(e.getKey()));
                    b.append(':');
                    write(b, e.getValue());
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(',');
                    write(b, l.get(i));
                }
                b.append(']');
            }
            default -> throw new IllegalArgumentException("JSON: cannot write " + v.getClass());
        }
    }

    private static String finite(double d) {
        if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON: non-finite number " + d);
        return Double.toString(d);
    }

    private static String finite(float f) {
        if (!Float.isFinite(f)) throw new IllegalArgumentException("JSON: non-finite number " + f);
        return Float.toString(f);
    }

    public static void quote(StringBuilder b, String str) {
        b.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
