package clip4j.text;

/**
 * CLIP's byte↔unicode table (upstream clip/simple_tokenizer.py {@code bytes_to_unicode}; docs/tokenizer.md#byte-table):
 * bytes 33–126, 161–172 and 174–255 map to themselves; the other
 * 68 bytes, in increasing order, map to U+0100…U+0143. {@link #ORDER} is the list order that defines ids 0–255.
 */
final class ByteUnicode {
    static final char[] BYTE_TO_CHAR = new char[256];
    static final char[] ORDER = new char[256];

    static {
        int n = 0;
        boolean[] printable = new boolean[256];
        for (int b = 33; b <= 126; b++) printable[b] = true;
        for (int b = 161; b <= 172; b++) printable[b] = true;
        for (int b = 174; b <= 255; b++) printable[b] = true;
        for (int b = 0; b < 256; b++) {
            if (printable[b]) {
                BYTE_TO_CHAR[b] = (char) b;
                ORDER[n++] = (char) b;
            }
        }
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable[b]) {
                BYTE_TO_CHAR[b] = (char) (256 + extra++);
                ORDER[n++] = BYTE_TO_CHAR[b];
            }
        }
    }

    private ByteUnicode() {
    }
}
