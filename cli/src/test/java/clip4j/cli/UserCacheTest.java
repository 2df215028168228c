package clip4j.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UserCacheTest {
    @Test
    void ownThenXdgThenHome() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/c"), UserCache.dir(Map.of("CLIP4J_CACHE", "/c", "XDG_CACHE_HOME", "/x"), home));
        assertEquals(Path.of("/x/clip4j"), UserCache.dir(Map.of("XDG_CACHE_HOME", "/x", "CLIP4J_CACHE", " "), home));
        assertEquals(Path.of("/home/u/.cache/clip4j"), UserCache.dir(Map.of(), home));
    }
}
