package clip4j.image;

import clip4j.ClipException;
import clip4j.model.ClipConfig;
import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Preprocessing against Pillow 9.4 + torchvision (docs/preprocessing.md; the synthetic image of its #test-image): bit-exact
 * uint8, float tensors to fp32.
 */
class PreprocessTest {
    static RawImage synthetic(int w, int h) {
        byte[] d = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                d[o] = (byte) ((7 * x + 3 * y) % 256);
                d[o + 1] = (byte) (((x * x + y * y) / 7) % 256);
                d[o + 2] = (byte) (((x / 8 + y / 8) % 2) * 200 + x % 50);
            }
        }
        return new RawImage(RawImage.Mode.RGB, w, h, d, null);
    }

    @Test
    @SuppressWarnings("unchecked")
    void specVectors() {
        Preprocessor p = new Preprocessor(224, ClipConfig.OPENAI_MEAN, ClipConfig.OPENAI_STD);
        double[][] spec = {
                {640, 480, 25641.183907, 115893.773433, -1.06234121, -0.19128920, -0.64123589},
                {455, 300, 25664.884891, 139354.665214, -1.28131759, 1.42954969, -1.15315831},
                {300, 455, 25531.139755, 139451.483220, 1.63836765, 0.96430898, -0.84031677},
                {224, 224, 24056.053930, 166678.631783, -1.79226255, 1.98483717, -1.15315831}};
        List<Object> golden = (List<Object>) TestData.json("/golden/preprocess.json").get("synthetic");
        for (int i = 0; i < spec.length; i++) {
            double[] v = spec[i];
            float[] t = p.normalize(p.toRgb(synthetic((int) v[0], (int) v[1])));
            double sum = 0, abs = 0;
            for (float f : t) {
                sum += f;
                abs += Math.abs(f);
            }
            assertEquals(v[2], sum, 1e-5, "sum " + (int) v[0] + "x" + (int) v[1]);
            assertEquals(v[3], abs, 1e-5, "abs sum");
            assertEquals(v[4], t[0], 1e-7);
            assertEquals(v[5], t[224 * 224 + 100 * 224 + 50], 1e-7);
            assertEquals(v[6], t[2 * 224 * 224 + 223 * 224 + 223], 1e-7);
            Map<String, Object> g = (Map<String, Object>) golden.get(i);
            assertEquals(((Number) g.get("sum")).doubleValue(), sum, 1e-6);
        }
    }

    @Test
    void resizedSizeTruncates() {
        assertArrayEquals(new int[]{298, 224}, Preprocessor.resizedSize(640, 480, 224));
        assertArrayEquals(new int[]{339, 224}, Preprocessor.resizedSize(455, 300, 224));
        assertArrayEquals(new int[]{224, 339}, Preprocessor.resizedSize(300, 455, 224));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb_500x300", "rgba_301x200", "l_150x260", "la_90x70", "p_230x190", "rgb_224x224", "rgb_31x17"})
    void bitExactAgainstPillow(String name) {
        RawImage src = ImageDecoder.decode(TestData.resource("/golden/" + name + ".png"));
        String expectMode = name.substring(0, name.indexOf('_')).toUpperCase();
        assertEquals(expectMode, src.mode().name(), "decoded mode");
        for (int s : new int[]{224, 32}) {
            RawImage want = ImageDecoder.decode(TestData.resource("/golden/" + name + ".expected" + s + ".png"));
            byte[] got = new Preprocessor(s, ClipConfig.OPENAI_MEAN, ClipConfig.OPENAI_STD).toRgb(src);
            assertArrayEquals(want.data(), got, name + " at " + s);
        }
    }

    @Test
    void corruptImageIsOneLineError(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.png");
        byte[] png = Files.readAllBytes(TestData.resource("/golden/rgb_500x300.png"));
        Files.write(bad, java.util.Arrays.copyOf(png, png.length / 3));
        ClipException e = assertThrows(ClipException.class, () -> ImageDecoder.decode(bad));
        assertTrue(e.getMessage().contains("bad.png") && !e.getMessage().contains("\n"), e.getMessage());
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not an image");
        assertThrows(ClipException.class, () -> ImageDecoder.decode(text));
        assertThrows(ClipException.class, () -> ImageDecoder.decode(dir.resolve("missing.png")));
    }

    /** Hostile input: a JPEG cut in half decoded with exit 0 (the JDK pads it with grey); Pillow refuses it. */
    @Test
    void truncatedJpegIsRefused(@TempDir Path dir) throws IOException {
        byte[] jpg = Files.readAllBytes(TestData.resource("/golden/formats/jpeg_rgb420_173x131.jpg"));
        Path cut = dir.resolve("cut.jpg");
        Files.write(cut, java.util.Arrays.copyOf(jpg, jpg.length / 2));
        ClipException e = assertThrows(ClipException.class, () -> ImageDecoder.decode(cut));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("cut.jpg"), e.getMessage());
        Path whole = Files.write(dir.resolve("whole.jpg"), jpg);
        assertEquals(173, ImageDecoder.decode(whole).width());
        // three stray bytes before the scan: libjpeg warns, Pillow decodes it, and so do we
        int sos = 0;
        while (!((jpg[sos] & 0xff) == 0xff && (jpg[sos + 1] & 0xff) == 0xda)) sos++;
        byte[] stray = new byte[jpg.length + 3];
        System.arraycopy(jpg, 0, stray, 0, sos);
        System.arraycopy(jpg, sos, stray, sos + 3, jpg.length - sos);
        RawImage s = ImageDecoder.decode(Files.write(dir.resolve("stray.jpg"), stray));
        assertArrayEquals(ImageDecoder.decode(whole).data(), s.data());
    }

    @Test
    void hugeImageRejectedBeforeDecoding(@TempDir Path dir) throws IOException {
        // a valid PNG header claiming 20000 x 6000 pixels, with no pixel data at all
        Path big = dir.resolve("huge.png");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13).putInt(20000).putInt(6000).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        Files.write(big, out.toByteArray());
        ClipException e = assertThrows(ClipException.class, () -> ImageDecoder.decode(big));
        assertTrue(e.getMessage().contains("megapixel"), e.getMessage());
    }

    private static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(type.getBytes());
        crc.update(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(type.getBytes());
        out.write(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
