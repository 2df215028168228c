package clip4j.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers: the feature store's keys, a model file's identity. */
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

    /** The SHA-256 of a file's bytes, read in 1 MB blocks. */
    public static String sha256(java.nio.file.Path file) {
        MessageDigest md = sha256();
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        } catch (java.io.IOException e) {
            throw new clip4j.ClipException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return hex(md.digest());
    }

    public static String sha256(String s) {
        return sha256(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
