package clip4j.data;

import clip4j.image.RawImage;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A procedurally generated 10-class image set (64×64 RGB shapes with random colours, sizes and positions), the demo's
 * stand-in when Fashion-MNIST is not installed. Deterministic for a seed.
 */
public final class SyntheticShapes {
    public static final List<String> CLASSES = List.of("circle", "square", "triangle", "horizontal stripes", "vertical stripes",
            "checkerboard", "cross", "ring", "diagonal stripes", "dots");
    private static final int S = 64;

    private SyntheticShapes() {
    }

    public static Dataset generate(String split, int perClass, long seed) {
        Random r = new Random(seed);
        List<ImageItem> items = new ArrayList<>();
        for (int c = 0; c < CLASSES.size(); c++) {
            for (int i = 0; i < perClass; i++) items.add(new PixelItem("shapes:" + split + ":" + c + ":" + i, c, draw(c, r)));
        }
        return new Dataset("shapes-" + split, CLASSES, items);
    }

    private static RawImage draw(int c, Random r) {
        BufferedImage img = new BufferedImage(S, S, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillRect(0, 0, S, S);
        Color fg = new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256));
        g.setColor(fg);
        int size = 20 + r.nextInt(30), x = r.nextInt(S - size + 1), y = r.nextInt(S - size + 1), step = 6 + r.nextInt(8);
        switch (c) {
            case 0 -> g.fillOval(x, y, size, size);
            case 1 -> g.fillRect(x, y, size, size);
            case 2 -> g.fillPolygon(new int[]{x, x + size, x + size / 2}, new int[]{y + size, y + size, y}, 3);
            case 3 -> {
                for (int k = 0; k < S; k += step) g.fillRect(0, k, S, step / 2);
            }
            case 4 -> {
                for (int k = 0; k < S; k += step) g.fillRect(k, 0, step / 2, S);
            }
            case 5 -> {
                for (int a = 0; a < S; a += step) for (int b = 0; b < S; b += step) if (((a + b) / step) % 2 == 0) g.fillRect(a, b, step, step);
            }
            case 6 -> {
                g.fillRect(x + size / 3, y, size / 3, size);
                g.fillRect(x, y + size / 3, size, size / 3);
            }
            case 7 -> {
                g.setStroke(new BasicStroke(3 + r.nextInt(4)));
                g.drawOval(x, y, size, size);
            }
            case 8 -> {
                g.setStroke(new BasicStroke(step / 2f));
                for (int k = -S; k < 2 * S; k += step) g.drawLine(k, 0, k + S, S);
            }
            default -> {
                for (int k = 0; k < 12; k++) g.fillOval(r.nextInt(S - 6), r.nextInt(S - 6), 6, 6);
            }
        }
        g.dispose();
        byte[] px = new byte[S * S * 3];
        for (int yy = 0; yy < S; yy++) {
            for (int xx = 0; xx < S; xx++) {
                int rgb = img.getRGB(xx, yy);
                int o = (yy * S + xx) * 3;
                px[o] = (byte) (rgb >> 16);
                px[o + 1] = (byte) (rgb >> 8);
                px[o + 2] = (byte) rgb;
            }
        }
        return new RawImage(RawImage.Mode.RGB, S, S, px, null);
    }
}
