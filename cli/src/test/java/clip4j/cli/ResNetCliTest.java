package clip4j.cli;

import clip4j.testing.TestData;
import clip4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command with a ResNet CLIP, as a user runs them: init-random (an open_clip directory) and convert, then
 * embed-image, embed-text, classify, fewshot with every method (Tip-Adapter's cache at the ResNet's embedding size),
 * meta-train and the trained adapter in fewshot, and bench image.
 */
class ResNetCliTest {
    @Test
    @SuppressWarnings("unchecked")
    void everyCommandRunsAResNet(@TempDir Path dir) throws Exception {
        Path oc = dir.resolve("rn"), model = dir.resolve("rn.safetensors");
        Cli.Result init = Cli.run(dir, "init-random", "--arch", "test-tiny-rn-quickgelu", "--seed", "2", "--output", oc.toString());
        assertEquals(0, init.code(), init.toString());
        assertTrue(Files.isRegularFile(oc.resolve("open_clip_config.json")), init.toString());
        Cli.Result conv = Cli.run(dir, "convert", "--input", oc.toString(), "--output", model.toString());
        assertEquals(0, conv.code(), conv.toString());
        assertTrue(conv.err().contains("resnet 1,1,1,1"), conv.toString());

        String image = TestData.resource("/golden/rgba_301x200.png").toString();
        Cli.Result img = Cli.run(dir, "embed-image", "--model", model.toString(), "--threads", "1", image);
        assertEquals(0, img.code(), img.toString());
        List<Object> e = (List<Object>) Json.parseObject(img.outLines().getFirst()).get("embedding");
        assertEquals(64, e.size(), "the ResNet's embedding size");
        Cli.Result text = Cli.run(dir, "embed-text", "--model", model.toString(), "a photo of a cat");
        assertEquals(0, text.code(), text.toString());
        Cli.Result cls = Cli.run(dir, "classify", "--model", model.toString(), "--labels", "cat,dog,car", image);
        assertEquals(0, cls.code(), cls.toString());
        assertTrue(cls.out().contains("\"cat\""), cls.toString());

        Cli.Result few = Cli.run(dir, "fewshot", "--model", model.toString(), "--train", "shapes", "--test", "shapes", "--method",
                "zero-shot,tip,tip-f,clip-adapter", "--shots", "2", "--seeds", "1", "--augment-epochs", "0", "--test-per-class", "2",
                "--cache", dir.resolve("features").toString());
        assertEquals(0, few.code(), few.toString());
        assertTrue(few.out().contains("tip-f") && few.out().contains("clip-adapter"), few.toString());

        Path meta = dir.resolve("meta.pt");
        Cli.Result train = Cli.run(dir, "meta-train", "--model", model.toString(), "--train", "shapes", "--base-classes", "halves",
                "--shots", "2", "--epochs", "2", "--cache", dir.resolve("features").toString(), "--output", meta.toString());
        assertEquals(0, train.code(), train.toString());
        String novel = train.outLines().getLast().substring("novel classes: ".length());
        Cli.Result evalMeta = Cli.run(dir, "fewshot", "--model", model.toString(), "--train", "shapes", "--test", "shapes", "--method",
                "meta", "--meta-checkpoint", meta.toString(), "--eval-classes", novel, "--shots", "2", "--seeds", "1", "--test-per-class", "2",
                "--cache", dir.resolve("features").toString());
        assertEquals(0, evalMeta.code(), evalMeta.toString());

        Cli.Result bench = Cli.run(dir, "bench", "image", "--model", model.toString(), "--batch", "2", "--seconds", "1");
        assertEquals(0, bench.code(), bench.toString());
        assertTrue(bench.outLines().getLast().startsWith("images_per_s "), bench.toString());
    }
}
