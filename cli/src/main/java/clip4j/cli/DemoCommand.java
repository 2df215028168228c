package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.convert.Converter;
import clip4j.convert.RandomModel;
import clip4j.fewshot.ZeroShotClassifier;
import clip4j.io.DType;
import clip4j.model.Architectures;
import clip4j.model.ClipModel;
import clip4j.text.ClipTokenizer;
import clip4j.util.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "demo", description = "Offline end-to-end demo on a seeded RANDOM-weight ViT-B/32-shaped model: init-random, convert, zero-shot classify.")
final class DemoCommand implements Callable<Integer> {
    private static final List<String> LABELS = List.of("a diagram", "a dog", "a cat");

    @Option(names = "--dir", defaultValue = "build/demo", description = "working directory for the model and images")
    Path dir;

    @Option(names = "--bpe", required = true, description = "bpe_simple_vocab_16e6.txt.gz (the launcher passes ../shared/data's)")
    Path bpe;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        Path model = dir.resolve("vit-b-32-random-seed0.safetensors");
        if (!Files.isRegularFile(model)) {
            Path hf = dir.resolve("hf-vit-b-32-random-seed0");
            Log.info("making a seeded random ViT-B/32 (Hugging Face layout) in " + hf);
            RandomModel.writeHfDirectory(Architectures.byName("ViT-B-32-quickgelu"), 0, hf, ClipTokenizer.readMerges(bpe));
            Converter.convert(hf, model, null, null, DType.F32);
        }
        List<Path> images = writeImages(dir.resolve("images"));
        Output.line("clip4j demo: the model's weights are RANDOM (seed 0, ViT-B/32 shape), not trained CLIP weights,");
        Output.line("so the labels below are meaningless; the demo shows the whole pipeline running offline.");
        Output.line("Real OpenAI ViT-B/32 weights give the README example ('a diagram' on CLIP.png) about 0.993 probability.");
        try (Backend be = Backends.create("cpu", threads == null ? Backends.defaultThreads() : threads);
             ClipModel m = ClipModel.load(model, be)) {
            long t0 = System.nanoTime();
            ZeroShotClassifier zs = ZeroShotClassifier.build(m, LABELS, List.of("{}"));
            float[][] emb = m.encodeImages(images);
            double ms = (System.nanoTime() - t0) / 1e6;
            for (int i = 0; i < images.size(); i++) {
                float[] p = ZeroShotClassifier.probabilities(zs.logits(emb[i]));
                StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-28s", images.get(i).getFileName()));
                for (int c = 0; c < LABELS.size(); c++) b.append(String.format(Locale.ROOT, "  %s %.4f", LABELS.get(c), p[c]));
                Output.line(b.toString());
            }
            Output.line(String.format(Locale.ROOT, "encoded %d prompts and %d images in %.0f ms on %s", LABELS.size(), images.size(), ms, be.name()));
        }
        return 0;
    }

    private static List<Path> writeImages(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        String[] names = {"stripes_640x480.png", "disk_300x300.png", "gradient_200x320.png"};
        int[][] sizes = {{640, 480}, {300, 300}, {200, 320}};
        for (int k = 0; k < names.length; k++) {
            int w = sizes[k][0], h = sizes[k][1];
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = img.createGraphics();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = switch (k) {
                        case 0 -> (((x / 20) % 2) * 200 << 16) | (((7 * x + 3 * y) % 256) << 8) | ((y * 255) / h);
                        case 1 -> 0xffffff;
                        default -> ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | 128;
                    };
                    img.setRGB(x, y, rgb);
                }
            }
            if (k == 1) {
                g.setColor(new Color(200, 30, 30));
                g.fillOval(60, 60, 180, 180);
            }
            g.dispose();
            Path p = dir.resolve(names[k]);
            if (!ImageIO.write(img, "png", p.toFile())) throw new ClipException("cannot write " + p);
            out.add(p);
        }
        return out;
    }
}
