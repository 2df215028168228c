package clip4j.io;

import clip4j.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @Test
    void roundTripAlignedAllDtypes(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.safetensors");
        float[] a = {1f, -2.5f, 3.25f};
        float[] b = new float[17 * 5];
        for (int i = 0; i < b.length; i++) b[i] = i * 0.1f - 3f;
        new SafetensorsWriter().metadata("k", "v")
                .add("a", DType.F32, new long[]{3}, a)
                .add("b", DType.F16, new long[]{17, 5}, b)
                .add("c", DType.BF16, new long[]{5, 17}, b)
                .add("s", DType.F32, new long[]{}, new float[]{4.6051702f})
                .write(f);
        try (Safetensors st = Safetensors.open(f)) {
            assertEquals("v", st.metadata().get("k"));
            assertEquals(4, st.tensors().size(), "pad tensors are hidden");
            Tensor tb = st.tensors().get("b");
            for (int i = 0; i < b.length; i++) assertEquals(HalfFloats.f16ToFloat(HalfFloats.floatToF16(b[i])), tb.getFloat(i));
            Tensor tc = st.tensors().get("c");
            for (int i = 0; i < b.length; i++) assertEquals(b[i], tc.getFloat(i), Math.abs(b[i]) / 128);
            assertEquals(4.6051702f, st.tensors().get("s").getFloat(0));
            assertEquals(-2.5f, st.tensors().get("a").getFloat(1));
        }
        // every tensor starts on a 64-byte boundary of the file
        byte[] raw = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 64);
        String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
        var h = clip4j.util.Json.parseObject(header.strip());
        for (var e : h.entrySet()) {
            if (e.getKey().equals("__metadata__") || e.getKey().startsWith(Safetensors.PAD_PREFIX)) continue;
            long begin = (Long) ((java.util.List<?>) ((java.util.Map<?, ?>) e.getValue()).get("data_offsets")).get(0);
            assertEquals(0, (8 + n + begin) % 64, e.getKey());
        }
        assertTrue(Safetensors.sniff(f));
    }

    @Test
    void truncatedAndCorruptFilesAreRejected(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("a", DType.F32, new long[]{64}, new float[64]).write(f);
        byte[] raw = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(raw, raw.length - 10));
        assertThrows(ClipException.class, () -> Safetensors.open(cut));
        Path junk = dir.resolve("junk.safetensors");
        byte[] j = raw.clone();
        j[9] = '#';
        Files.write(junk, j);
        assertThrows(ClipException.class, () -> Safetensors.open(junk));
        Path hugeHeader = dir.resolve("huge.safetensors");
        Files.write(hugeHeader, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertThrows(ClipException.class, () -> Safetensors.open(hugeHeader));
        assertFalse(Safetensors.sniff(hugeHeader));
    }

    @Test
    void halfFloatConversions() {
        assertEquals(0x3c00, HalfFloats.floatToF16(1f) & 0xffff);
        assertEquals(65504f, HalfFloats.f16ToFloat(HalfFloats.floatToF16(65504f)));
        assertEquals(1f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1f)));
        assertEquals(1.0078125f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1.005f)));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
    }
}
