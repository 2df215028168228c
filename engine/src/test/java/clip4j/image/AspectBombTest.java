package clip4j.image;

import clip4j.ClipException;
import clip4j.model.ClipConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input: a tiny PNG of extreme aspect ratio once made the shortest-side resize build its whole output
 * (9500×1 → 2,128,000×224: 2.95 GB, 14 s; 20000×1: NegativeArraySizeException). Only the crop window is resized now
 * (FormatGoldenTest's aspect_* goldens show the pixels are Pillow's), so the cost is that of a normal image.
 */
class AspectBombTest {
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void wideAndTallStripsCostLittle(@TempDir Path dir) throws Exception {
        Preprocessor p = new Preprocessor(224, ClipConfig.OPENAI_MEAN, ClipConfig.OPENAI_STD);
        for (int[] wh : new int[][]{{9500, 1}, {5000, 1}, {20000, 1}, {1, 20000}, {60000, 2}}) {
            BufferedImage img = new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_3BYTE_BGR);
            for (int x = 0; x < wh[0]; x++) for (int y = 0; y < wh[1]; y++) img.setRGB(x, y, ((x + y) / 7 % 256) * 0x010101);
            Path png = dir.resolve(wh[0] + "x" + wh[1] + ".png");
            ImageIO.write(img, "png", png.toFile());
            assertTrue(Files.size(png) < 300_000, "a small file");
            long before = allocated();
            float[] t = p.preprocess(png);
            long used = allocated() - before;
            assertEquals(3 * 224 * 224, t.length);
            assertTrue(used < 64L << 20, wh[0] + "x" + wh[1] + " allocated " + (used >> 20) + " MB");
        }
    }

    @Test
    void beyondWhatAnyResizeCanHoldIsOneLine() {
        // 224 × 20,000,000 = 4.48e9 pixels on the long side: more than Pillow (or an int) can address
        RawImage strip = new RawImage(RawImage.Mode.L, 20_000_000, 1, new byte[20_000_000], null);
        ClipException e = assertThrows(ClipException.class, () -> new Preprocessor(224, ClipConfig.OPENAI_MEAN, ClipConfig.OPENAI_STD).toRgb(strip));
        assertTrue(e.getMessage().contains("aspect ratio") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
