package clip4j.util;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** \\u escapes: exactly four ASCII hex digits (RFC 8259), nothing Integer.parseInt would also take. */
class JsonTest {
    @Test
    void unicodeEscapes() {
        assertEquals("é€", Json.parseObject("{\"a\": \"\\u00e9\\u20AC\"}").get("a"));
        for (String bad : new String[]{"\\u+123", "\\u-123", "\\u\u0663\u0663\u0663\u0663", "\\u12g4", "\\u12"}) {
            assertThrows(RuntimeException.class, () -> Json.parseObject("{\"a\": \"" + bad + "\"}"), bad);
        }
    }
}
