package clip4j.convert;

import clip4j.ClipException;
import clip4j.io.DType;
import clip4j.io.SafetensorsWriter;
import clip4j.model.Architectures;
import clip4j.model.ClipConfig;
import clip4j.model.SeededWeights;
import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad checkpoints give a one-line ClipException and leave nothing at --output. */
class ConverterBadInputTest {
    @TempDir
    Path dir;

    private String fails(Path input, String arch) {
        Path out = dir.resolve("out.safetensors");
        ClipException e = assertThrows(ClipException.class, () -> Converter.convert(input, out, arch, null, DType.F32));
        assertFalse(Files.exists(out), "nothing written at --output");
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    private Path zipWithPickle(String name, byte[] pickle) throws IOException {
        Path p = dir.resolve(name);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(pickle);
            z.closeEntry();
        }
        return p;
    }

    @Test
    void maliciousPickleIsRefusedNotRun() throws IOException {
        Path marker = dir.resolve("pwned");
        String cmd = "touch " + marker;
        byte[] c = cmd.getBytes();
        byte[] head = {(byte) 0x80, 2, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', (byte) 0x8c, (byte) c.length};
        byte[] tail = {(byte) 0x85, 'R', '.'};
        byte[] pkl = new byte[head.length + c.length + tail.length];
        System.arraycopy(head, 0, pkl, 0, head.length);
        System.arraycopy(c, 0, pkl, head.length, c.length);
        System.arraycopy(tail, 0, pkl, head.length + c.length, tail.length);
        String msg = fails(zipWithPickle("evil.pt", pkl), null);
        assertTrue(msg.contains("refusing pickle global 'os.system'"), msg);
        assertFalse(Files.exists(marker));
        byte[] eval = "\u0080\u0002cbuiltins\neval\n.".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(fails(zipWithPickle("eval.pt", eval), null).contains("builtins.eval"));
    }

    @Test
    void truncatedAndCorruptCheckpoints() throws IOException {
        byte[] ts = Files.readAllBytes(TestData.resource("/fixtures/tiny-openai-fp16.pt"));
        Path cut = dir.resolve("cut.pt");
        Files.write(cut, Arrays.copyOf(ts, ts.length / 2));
        fails(cut, null);
        Path junk = dir.resolve("junk.bin");
        byte[] j = new byte[4096];
        new java.util.Random(1).nextBytes(j);
        Files.write(junk, j);
        assertTrue(fails(junk, null).contains("not a recognised checkpoint"));
        byte[] st = Files.readAllBytes(TestData.resource("/fixtures/tiny-hf/model.safetensors"));
        Path stCut = dir.resolve("cut.safetensors");
        Files.write(stCut, Arrays.copyOf(st, st.length - 1000));
        fails(stCut, "test-tiny-quickgelu");
        assertTrue(fails(dir.resolve("missing.pt"), null).contains("not found"));
    }

    @Test
    void legacyTorchFile() throws IOException {
        Path legacy = dir.resolve("legacy.pt");
        Files.write(legacy, new byte[]{(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19, '.'});
        assertTrue(fails(legacy, null).contains("legacy"));
    }

    private Path canonicalSafetensors(String extraName, long[] lnPreShape) {
        ClipConfig c = Architectures.byName("test-tiny");
        SafetensorsWriter w = new SafetensorsWriter();
        SeededWeights.tensors(c, 1).forEach((name, s) -> {
            long[] shape = name.equals("visual.ln_pre.weight") && lnPreShape != null ? lnPreShape : s.shape();
            w.add(name, DType.F32, shape, s.values());
        });
        if (extraName != null) w.add(extraName, DType.F32, new long[]{3}, new float[3]);
        Path p = dir.resolve("c" + System.nanoTime() + ".safetensors");
        w.write(p);
        return p;
    }

    @Test
    void wrongShapesUnknownNamesAndMissingActivation() {
        assertTrue(fails(canonicalSafetensors(null, new long[]{127}), "test-tiny").contains("visual.ln_pre.weight"));
        assertTrue(fails(canonicalSafetensors("visual.surprise", null), "test-tiny").contains("unknown tensor 'visual.surprise'"));
        String msg = fails(canonicalSafetensors(null, null), null);
        assertTrue(msg.contains("--arch"), msg);
        assertTrue(fails(canonicalSafetensors(null, null), "ViT-B-32").contains("does not match"));
    }

    /**
     * A ResNet CLIP in upstream's names (convolutions, BatchNorms; OpenAI's text_projection [D, E]) as safetensors,
     * minus the tensor drop, with the tensor reshape given another shape, and the names renamed by rename.
     */
    private Path resnetSafetensors(String drop, String reshape, java.util.function.UnaryOperator<String> rename) {
        ClipConfig c = Architectures.byName("test-tiny-rn");
        SafetensorsWriter w = new SafetensorsWriter();
        java.util.Map<String, clip4j.model.ModelFileWriter.Source> all = new java.util.LinkedHashMap<>(SeededWeights.resnetUpstream(c, 1));
        SeededWeights.tensors(c, 1).forEach((name, t) -> {
            if (!name.startsWith("visual.")) all.put(name.equals("text_projection.weight") ? "text_projection" : name, t);
        });
        all.forEach((name, t) -> {
            if (name.equals(drop)) return;
            long[] shape = name.equals("text_projection") ? new long[]{t.shape()[1], t.shape()[0]} : t.shape();
            if (name.equals(reshape)) shape = new long[]{shape[0], shape[1] + 1, shape[2], shape[3]};
            long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            w.add(rename.apply(name), DType.F32, shape, i -> i < n ? 0.01f : 0f);
        });
        Path p = dir.resolve("rn" + System.nanoTime() + ".safetensors");
        w.write(p);
        return p;
    }

    @Test
    void badResNetCheckpointsAreRefused() {
        // a ViT with --arch RN50, a ResNet with --arch ViT-B-32
        assertTrue(fails(canonicalSafetensors(null, null), "RN50").contains("does not match"));
        assertTrue(fails(resnetSafetensors(null, null, n -> n), "ViT-B-32").contains("does not match"));
        // a missing BatchNorm tensor, a wrong convolution shape
        String missing = fails(resnetSafetensors("visual.layer2.0.bn2.running_var", null, n -> n), "test-tiny-rn");
        assertTrue(missing.contains("lacks 'visual.layer2.0.bn2.running_var'"), missing);
        String shape = fails(resnetSafetensors(null, "visual.layer3.0.conv2.weight", n -> n), "test-tiny-rn");
        assertTrue(shape.contains("visual.layer3.0.conv2.weight") && shape.contains("expected [32, 32, 3, 3]"), shape);
        String stage = fails(resnetSafetensors("visual.layer4.0.conv1.weight", null, n -> n), "test-tiny-rn");
        assertTrue(stage.contains("visual.layer4.0.conv1.weight"), stage);
        // a torchvision or timm ResNet classifier: no "visual." prefix, no text tower
        String classifier = fails(resnetSafetensors(null, null, n -> n.startsWith("visual.") ? n.substring(7) : "fc." + n), null);
        assertTrue(classifier.contains("ResNet image classifier"), classifier);
        // a ResNet's activation cannot be read from safetensors either
        assertTrue(fails(resnetSafetensors(null, null, n -> n), null).contains("--arch"));
    }

    /**
     * An open_clip config that disagrees with its weights is refused, not trusted: a ViT's config over ResNet weights,
     * another width, a head width that does not divide the attention pool; a rank-0 tensor is refused by name. Without
     * a vision config the heads follow from the weights (width·32/64).
     */
    @Test
    void openClipConfigMustAgreeWithItsWeights() throws IOException {
        Path oc = dir.resolve("oc");
        RandomModel.write(Architectures.byName("test-tiny-rn").withVocabSize(600), 5, oc, null);
        Path cfg = oc.resolve("open_clip_config.json");
        Files.writeString(cfg, "{\"model_cfg\": {\"vision_cfg\": {\"layers\": 12, \"width\": 8}}}");
        assertTrue(fails(oc, null).contains("describes a ViT"));
        Files.writeString(cfg, "{\"model_cfg\": {\"vision_cfg\": {\"layers\": [1, 1, 1, 1], \"width\": 16}}}");
        assertTrue(fails(oc, null).contains("of width 16"));
        Files.writeString(cfg, "{\"model_cfg\": {\"vision_cfg\": {\"layers\": [1, 1, 1, 1], \"head_width\": 48}}}");
        assertTrue(fails(oc, null).contains("does not divide"));
        Files.writeString(cfg, "{}");
        ClipConfig c = Converter.convert(oc, dir.resolve("ok.safetensors"), null, null, DType.F32);
        assertEquals(4, c.visionHeads(), c.toString());
        assertTrue(fails(resnetSafetensorsWith("visual.layer1.0.conv1.weight", new long[]{}), "test-tiny-rn").contains("not 4-dimensional"));
    }

    /** The ResNet of {@link #resnetSafetensors} with one tensor given another shape. */
    private Path resnetSafetensorsWith(String name, long[] shape) {
        ClipConfig c = Architectures.byName("test-tiny-rn").withVocabSize(600);
        SafetensorsWriter w = new SafetensorsWriter();
        SeededWeights.resnetUpstream(c, 1).forEach((n, t) -> w.add(n, DType.F32, n.equals(name) ? shape : t.shape(), t.values()));
        SeededWeights.tensors(c, 1).forEach((n, t) -> {
            if (!n.startsWith("visual.")) w.add(n, DType.F32, t.shape(), t.values());
        });
        Path p = dir.resolve("rn" + System.nanoTime() + ".safetensors");
        w.write(p);
        return p;
    }

    /** A seeded ResNet written by init-random (an open_clip directory) converts to the seeded model file bit for bit. */
    @Test
    void seededOpenClipDirectoryRoundTripsExactly() throws IOException {
        ClipConfig c = Architectures.byName("test-tiny-rn-quickgelu");
        Path oc = dir.resolve("oc");
        RandomModel.write(c, 5, oc, null);
        assertTrue(Files.isRegularFile(oc.resolve("open_clip_config.json")) && !Files.exists(oc.resolve("config.json")));
        Path out = dir.resolve("converted.safetensors");
        ClipConfig got = Converter.convert(oc, out, null, null, DType.F32);
        assertEquals("test-tiny-rn-quickgelu", got.architecture());
        assertTrue(Arrays.equals(c.resnetLayers(), got.resnetLayers()) && c.visionHeads() == got.visionHeads(), got.toString());
        try (clip4j.model.ModelFile f = clip4j.model.ModelFile.open(out)) {
            SeededWeights.tensors(c, 5).forEach((name, s) -> {
                clip4j.io.Tensor t = f.tensor(name);
                for (long i = 0; i < t.numel(); i += 7) assertEquals(s.values().get(i), t.getFloat(i), name);
            });
            assertEquals("seed 5 (clip4j init-random, test-tiny-rn-quickgelu)", f.randomWeights());
        }
    }

    @Test
    void seededHfDirectoryRoundTripsExactly() throws IOException {
        ClipConfig c = Architectures.byName("test-tiny-quickgelu");
        Path hf = dir.resolve("hf");
        RandomModel.write(c, 5, hf, null);
        Path out = dir.resolve("converted.safetensors");
        ClipConfig got = Converter.convert(hf, out, null, null, DType.F32);
        assertEquals(c.visionWidth(), got.visionWidth());
        assertEquals(c.textHeads(), got.textHeads());
        try (clip4j.model.ModelFile f = clip4j.model.ModelFile.open(out)) {
            SeededWeights.tensors(c, 5).forEach((name, s) -> {
                clip4j.io.Tensor t = f.tensor(name);
                for (long i = 0; i < t.numel(); i += 7) assertEquals(s.values().get(i), t.getFloat(i), name);
            });
        }
        try (OutputStream o = Files.newOutputStream(hf.resolve("config.json"))) {
            o.write("{\"vision_config\": {\"hidden_act\": \"relu\"}}".getBytes());
        }
        assertTrue(fails(hf, null).contains("hidden_act"));
    }
}
