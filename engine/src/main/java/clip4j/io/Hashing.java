package clip4j.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers for the feature store's keys. */
public final class Hashing {
    private Hashing() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    public static String sha256(byte[] data) {
        return hex(sha256().digest(data));
    }

    public static String sha256(String s) {
        return sha256(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
