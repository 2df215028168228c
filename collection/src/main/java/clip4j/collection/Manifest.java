package clip4j.collection;

import clip4j.ClipException;
import clip4j.io.AtomicFiles;
import clip4j.util.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An output folder's manifest.json: the settings that decide every byte of its shards (model file hash, architecture,
 * embedding width, preprocessing, dtype, shard size, inputs), compared on a rerun before any shard is reused, and once
 * the run is done its counts and shards. Strings only in the settings, so that they compare as written.
 */
public final class Manifest {
    public static final String FILE = "manifest.json", FORMAT = "clip4j-embeddings/1";

    private Manifest() {
    }

    /** The settings of a previous run in dir, or null when it has none. */
    static Map<String, Object> settings(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) return null;
        try {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            if (text.length() > 1 << 20) throw new ClipException(f + " is not a clip4j manifest (over 1 MB)");
            Map<String, Object> m = Json.parseObject(text);
            if (!FORMAT.equals(m.get("format")) || !(m.get("settings") instanceof Map<?, ?> s)) {
                throw new ClipException(f + " is not a clip4j embeddings manifest (format " + FORMAT + ")");
            }
            @SuppressWarnings("unchecked") Map<String, Object> settings = (Map<String, Object>) s;
            return settings;
        } catch (IOException | IllegalArgumentException e) {
            throw new ClipException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    public static void write(Path dir, Map<String, Object> settings, Map<String, Object> result) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("settings", settings);
        if (result != null) m.putAll(result);
        byte[] text = (Json.write(m) + "\n").getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(FILE), tmp -> Files.write(tmp, text));
    }

    /** Which setting differs between a previous run's and this one's, or null when none does. */
    static String difference(Map<String, Object> before, Map<String, Object> now) {
        for (String k : now.keySet()) {
            if (!Json.write(now.get(k)).equals(Json.write(before.get(k)))) return k;
        }
        for (String k : before.keySet()) if (!now.containsKey(k)) return k;
        return null;
    }

    static List<String> strings(List<?> l) {
        return l.stream().map(String::valueOf).toList();
    }
}
