package clip4j.data;

import clip4j.image.PillowResize;
import clip4j.image.Preprocessor;
import clip4j.image.RawImage;

import java.util.Random;

/**
 * The cache/training augmentation of Tip-Adapter (the train transform of upstream Tip-Adapter main.py;
 * docs/preprocessing.md#augmentation): torchvision's
 * RandomResizedCrop(S, scale 0.5–1, ratio 3/4–4/3, bicubic) then RandomHorizontalFlip(0.5), on the RGB image
 * (Dassl reads images as RGB first), with Pillow-exact bicubic resizing of the crop. Deterministic per seed.
 */
public final class Augmenter {
    private static final double SCALE_MIN = 0.5, SCALE_MAX = 1.0;
    private static final double LOG_RATIO_MIN = Math.log(3.0 / 4.0), LOG_RATIO_MAX = Math.log(4.0 / 3.0);

    private final Preprocessor pre;

    public Augmenter(Preprocessor pre) {
        this.pre = pre;
    }

    /** An augmented, normalised CHW tensor of the image; the same seed gives the same view. */
    public float[] augment(RawImage img, long seed) {
        Random rnd = new Random(seed);
        RawImage rgb = Preprocessor.toRgbMode(img);
        int w = rgb.width(), h = rgb.height();
        int[] box = cropBox(w, h, rnd);
        int cw = box[2], ch = box[3];
        byte[] crop = new byte[cw * ch * 3];
        for (int y = 0; y < ch; y++) System.arraycopy(rgb.data(), ((box[1] + y) * w + box[0]) * 3, crop, y * cw * 3, cw * 3);
        int s = pre.size();
        byte[] out = (cw == s && ch == s) ? crop : PillowResize.bicubic(crop, cw, ch, 3, s, s);
        if (rnd.nextDouble() < 0.5) {
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s / 2; x++) {
                    int a = (y * s + x) * 3, b = (y * s + s - 1 - x) * 3;
                    for (int c = 0; c < 3; c++) {
                        byte t = out[a + c];
                        out[a + c] = out[b + c];
                        out[b + c] = t;
                    }
                }
            }
        }
        return pre.normalize(out);
    }

    /** torchvision RandomResizedCrop.get_params: ten tries at a random area and ratio, else a central crop. */
    static int[] cropBox(int w, int h, Random rnd) {
        double area = (double) w * h;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (SCALE_MIN + (SCALE_MAX - SCALE_MIN) * rnd.nextDouble());
            double ratio = Math.exp(LOG_RATIO_MIN + (LOG_RATIO_MAX - LOG_RATIO_MIN) * rnd.nextDouble());
            int cw = (int) Math.rint(Math.sqrt(target * ratio));
            int ch = (int) Math.rint(Math.sqrt(target / ratio));
            if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
                int top = rnd.nextInt(h - ch + 1);
                int left = rnd.nextInt(w - cw + 1);
                return new int[]{left, top, cw, ch};
            }
        }
        double inRatio = (double) w / h;
        int cw, ch;
        if (inRatio < 3.0 / 4.0) {
            cw = w;
            ch = (int) Math.rint(w / (3.0 / 4.0));
        } else if (inRatio > 4.0 / 3.0) {
            ch = h;
            cw = (int) Math.rint(h * (4.0 / 3.0));
        } else {
            cw = w;
            ch = h;
        }
        return new int[]{(w - cw) / 2, (h - ch) / 2, cw, ch};
    }
}
