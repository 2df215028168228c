package clip4j.image;

import clip4j.ClipException;
import clip4j.model.ClipConfig;
import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image formats beyond 8-bit PNG against Pillow 9.4 (scripts/make_image_goldens.py): the mode each file opens in, and
 * the RGB pixels of CLIP's preprocessing at 224 and 32, bit for bit. (WebP needs the CLI's ImageIO plugin: its goldens
 * are checked in the cli module.)
 */
class FormatGoldenTest {
    @ParameterizedTest
    @CsvSource({"jpeg_rgb420_173x131.jpg, RGB", "jpeg_rgb444_173x131.jpg, RGB", "jpeg_progressive_173x131.jpg, RGB",
            "jpeg_l_131x173.jpg, L", "jpeg_cmyk_173x131.jpg, CMYK", "jpeg_ycck_90x70.jpg, CMYK", "png16_i_120x90.png, I",
            "png16_ilow_120x90.png, I", "png16_rgb_173x131.png, RGB", "png16_rgba_173x131.png, RGBA", "tiff_rgb_173x131.tif, RGB",
            "aspect_2000x3.png, RGB", "aspect_l_2x1500.png, L", "aspect_p_2000x3.png, P"})
    void bitExactAgainstPillow(String file, String mode) {
        RawImage src = ImageDecoder.decode(TestData.resource("/golden/formats/" + file));
        assertEquals(mode, src.mode().name(), "mode " + file + " opens in");
        String stem = file.substring(0, file.lastIndexOf('.'));
        for (int s : new int[]{224, 32}) {
            RawImage want = ImageDecoder.decode(TestData.resource("/golden/formats/" + stem + ".expected" + s + ".png"));
            byte[] got = new Preprocessor(s, ClipConfig.OPENAI_MEAN, ClipConfig.OPENAI_STD).toRgb(src);
            assertArrayEquals(want.data(), got, file + " at " + s);
        }
    }

    @Test
    void cmykToRgbIsPillowsFormula() {
        // Pillow 9.4: Image.new("CMYK", (1, 1), (10, 200, 30, 40)).convert("RGB") == (207, 46, 190)
        RawImage c = new RawImage(RawImage.Mode.CMYK, 1, 1, new byte[]{10, (byte) 200, 30, 40}, null);
        assertArrayEquals(new byte[]{(byte) 207, 46, (byte) 190}, Preprocessor.toRgbMode(c).data());
        RawImage full = new RawImage(RawImage.Mode.CMYK, 1, 1, new byte[]{0, 0, 0, (byte) 255}, null);
        assertArrayEquals(new byte[]{0, 0, 0}, Preprocessor.toRgbMode(full).data());
    }

    @Test
    void sixteenBitGreyClampsLikePillow() {
        // mode I → RGB clamps to 0..255: 0, 200, 255, 256 and 65535 become 0, 200, 255, 255, 255
        byte[] v = {0, 0, 0, (byte) 200, 0, (byte) 255, 1, 0, (byte) 255, (byte) 255};
        byte[] rgb = Preprocessor.toRgbMode(new RawImage(RawImage.Mode.I, 5, 1, v, null)).data();
        int[] want = {0, 200, 255, 255, 255};
        for (int i = 0; i < 5; i++) assertEquals(want[i], rgb[3 * i] & 0xff, "pixel " + i);
    }

    @Test
    void unreadableFormatNamesWhatIsRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("x.heic");
        java.nio.file.Files.write(f, new byte[]{0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'});
        ClipException e = assertThrows(ClipException.class, () -> ImageDecoder.decode(f));
        assertTrue(e.getMessage().contains("TIFF") && e.getMessage().contains("JPEG"), e.getMessage());
    }
}
