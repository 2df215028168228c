package clip4j.model;

import clip4j.ClipException;
import clip4j.io.DType;
import clip4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input: absurd or non-finite configuration values in a model file fail when it is opened, with a one-line
 * reason (image size 524288 once overflowed grid² + 1 at the first embedding; a NaN mean gave NaN embeddings).
 */
class HostileModelFileTest {
    @TempDir
    Path dir;

    /** A copy of a seeded test-tiny model file with one metadata value replaced (the header padded to its old length). */
    @SuppressWarnings("unchecked")
    private Path withMetadata(String key, String value) throws IOException {
        Path f = SeededWeights.writeTempModel(Architectures.byName("test-tiny"), 3, null, DType.F32);
        f.toFile().deleteOnExit();
        byte[] all = Files.readAllBytes(f);
        int n = (int) ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Map<String, Object> header = Json.parseObject(new String(all, 8, n, StandardCharsets.UTF_8));
        Map<String, Object> meta = (Map<String, Object>) header.get("__metadata__");
        meta.put("source", "s");
        meta.put(key, value);
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        assertTrue(h.length <= n, "room in the header");
        byte[] padded = " ".repeat(n).getBytes(StandardCharsets.UTF_8);
        System.arraycopy(h, 0, padded, 0, h.length);
        System.arraycopy(padded, 0, all, 8, n);
        return Files.write(dir.resolve(key + ".safetensors"), all);
    }

    private String refused(String key, String value) throws IOException {
        Path f = withMetadata(key, value);
        ClipException e = assertThrows(ClipException.class, () -> ModelFile.open(f).close());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void absurdSizesAndNonFiniteValuesFailAtOpen() throws IOException {
        assertTrue(refused("vision.image_size", "524288").contains("image size"));
        assertTrue(refused("vision.image_size", "1000000000").contains("image size"));
        assertTrue(refused("image_mean", "NaN,0.4578275,0.40821073").contains("mean"));
        assertTrue(refused("image_std", "0.2,Infinity,0.2").contains("std"));
        assertTrue(refused("logit_scale", "1e30").contains("logit scale"));
        assertTrue(refused("text.vocab_size", "2147483647").contains("vocabulary"));
        assertTrue(refused("vision.width", "-128").contains("vision width"));
        assertTrue(refused("vision.layers", "x").contains("bad number"));
        ModelFile.open(withMetadata("source", "ok")).close(); // the same file with an ordinary value opens
    }
}
