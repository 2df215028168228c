package clip4j.cli;

import java.nio.file.Path;
import java.util.Map;

/**
 * The user's clip4j cache: $CLIP4J_CACHE, else $XDG_CACHE_HOME/clip4j, else ~/.cache/clip4j with ~ from $HOME (as the
 * shell has it; Java's user.home comes from the password database and ignores $HOME).
 */
final class UserCache {
    private UserCache() {
    }

    static Path dir() {
        String home = System.getenv("HOME");
        return dir(System.getenv(), Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home")));
    }

    /** The feature store's folder: the one given, else features/ in the user cache. */
    static Path features(Path given) {
        return given != null ? given : dir().resolve("features");
    }

    static Path dir(Map<String, String> env, Path home) {
        String own = env.get("CLIP4J_CACHE");
        if (own != null && !own.isBlank()) return Path.of(own);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "clip4j");
        return home.resolve(".cache").resolve("clip4j");
    }
}
