package clip4j.data;

import clip4j.ClipException;
import clip4j.backend.VectorBackend;
import clip4j.image.RawImage;
import clip4j.io.DType;
import clip4j.model.ClipModel;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sampling, ImageFolder rules and the feature store's invalidation. */
class FewShotDataTest {
    @Test
    void sampleIsSeededDisjointAndNested() {
        Dataset d = SyntheticShapes.generate("train", 12, 3);
        FewShotSampler.Split a = FewShotSampler.sample(d, 4, 7, 4);
        FewShotSampler.Split b = FewShotSampler.sample(d, 4, 7, 4);
        assertEquals(a.shots(), b.shots());
        assertEquals(40, a.shots().size());
        assertEquals(40, a.val().size());
        Set<ImageItem> shots = new HashSet<>(a.shots());
        for (ImageItem v : a.val()) assertTrue(!shots.contains(v), "validation never overlaps the shots");
        for (int i = 0; i < a.shots().size(); i++) assertEquals(i / 4, a.shots().get(i).label(), "class-contiguous, label order");
        FewShotSampler.Split big = FewShotSampler.sample(d, 8, 7, 4);
        for (int c = 0; c < 10; c++) assertEquals(a.shots().subList(c * 4, c * 4 + 4), big.shots().subList(c * 8, c * 8 + 4));
        assertTrue(!a.shots().equals(FewShotSampler.sample(d, 4, 8, 4).shots()), "another seed, another draw");
        FewShotSampler.Split scarce = FewShotSampler.sample(d, 20, 1, 4);
        assertEquals(200, scarce.shots().size(), "with replacement when a class is short");
        assertEquals(0, scarce.val().size());
        assertThrows(ClipException.class, () -> FewShotSampler.sample(d, 0, 1, 4));
    }

    private static void png(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.copy(TestData.resource("/golden/rgb_31x17.png"), p);
    }

    @Test
    void imageFolderRules(@TempDir Path root) throws IOException {
        png(root.resolve("b_class/x.png"));
        png(root.resolve("a_class/y.png"));
        Files.writeString(root.resolve("a_class/notes.txt"), "ignored");
        Dataset d = ImageFolder.load(root, null);
        assertEquals(List.of("a class", "b class"), d.classNames());
        assertEquals(2, d.items().size());
        Path names = root.resolve("../names.txt");
        Files.writeString(names, "apple\nbanana\n");
        assertEquals(List.of("apple", "banana"), ImageFolder.load(root, names).classNames());
        Files.createDirectories(root.resolve("c_empty"));
        ClipException e = assertThrows(ClipException.class, () -> ImageFolder.load(root, null));
        assertTrue(e.getMessage().contains("c_empty"), e.getMessage());
        Dataset other = new Dataset("t", List.of("zebra"), List.of(new PixelItem("z", 0, new RawImage(RawImage.Mode.L, 1, 1, new byte[1], null))));
        assertTrue(assertThrows(ClipException.class, () -> other.relabel(d.classNames())).getMessage().contains("zebra"));
    }

    private static long files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".f32")).count();
        }
    }

    @Test
    void featureStoreNeverServesAnotherModelViewOrImage(@TempDir Path dir) throws IOException {
        Dataset d = SyntheticShapes.generate("train", 2, 5);
        List<ImageItem> items = d.items().subList(0, 6);
        Path store = dir.resolve("store");
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 1);
             ClipModel m1 = ClipModel.load(TestData.seededModel("test-tiny-quickgelu", 1, DType.F32), be);
             ClipModel m2 = ClipModel.load(TestData.seededModel("test-tiny-quickgelu", 2, DType.F32), be)) {
            FeatureStore s1 = new FeatureStore(store, m1, false);
            float[][] first = s1.features(items, FeatureStore.View.PLAIN, "t").features();
            assertEquals(6, files(store));
            float[][] again = new FeatureStore(store, m1, false).features(items, FeatureStore.View.PLAIN, "t").features();
            assertEquals(6, files(store), "a re-run encodes nothing");
            for (int i = 0; i < 6; i++) assertArrayEquals(first[i], again[i]);
            s1.features(items, FeatureStore.View.augmented(1, 0), "t");
            assertEquals(12, files(store), "another view, new features");
            float[][] other = new FeatureStore(store, m2, false).features(items, FeatureStore.View.PLAIN, "t").features();
            assertEquals(18, files(store), "another model file, new features");
            assertTrue(!java.util.Arrays.equals(first[0], other[0]));
            float[] direct = m1.imageFeatures(List.of(m1.preprocessor().normalize(m1.preprocessor().toRgb(items.getFirst().load()))))[0];
            assertArrayEquals(direct, first[0], 1e-5f, "batched (packed GEMM) and single-image features agree to fp32 noise");
        }
    }

    /** Hostile input: flipped bytes in every cached file (the values still finite) once went unnoticed. */
    @Test
    void damagedFeatureFilesAreRecomputed(@TempDir Path dir) throws IOException {
        List<ImageItem> items = SyntheticShapes.generate("train", 1, 5).items().subList(0, 4);
        Path store = dir.resolve("store");
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 1);
             ClipModel m = ClipModel.load(TestData.seededModel("test-tiny-quickgelu", 1, DType.F32), be)) {
            float[][] first = new FeatureStore(store, m, false).features(items, FeatureStore.View.PLAIN, "t").features();
            try (Stream<Path> s = Files.walk(store)) {
                for (Path f : s.filter(p -> p.toString().endsWith(".f32")).toList()) {
                    byte[] b = Files.readAllBytes(f);
                    b[5] ^= 0x01; // a low mantissa bit: the value stays finite and plausible
                    Files.write(f, b);
                }
            }
            FeatureStore again = new FeatureStore(store, m, false);
            float[][] second = again.features(items, FeatureStore.View.PLAIN, "t").features();
            assertEquals(4, again.damagedFiles(), "each damaged file noticed");
            for (int i = 0; i < 4; i++) assertArrayEquals(first[i], second[i], 1e-6f, "recomputed, not served damaged");
            FeatureStore third = new FeatureStore(store, m, false);
            third.features(items, FeatureStore.View.PLAIN, "t");
            assertEquals(0, third.damagedFiles(), "rewritten whole");
        }
    }

    @Test
    void unreadableImagesAreCountedOrStrict(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.png");
        Files.writeString(bad, "not a png");
        Path good = dir.resolve("good.png");
        png(good);
        List<ImageItem> items = List.of(new FileImageItem(good, 0), new FileImageItem(bad, 0));
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 1);
             ClipModel m = ClipModel.load(TestData.seededModel("test-tiny-quickgelu", 1, DType.F32), be)) {
            FeatureStore.Result r = new FeatureStore(dir.resolve("s"), m, false).features(items, FeatureStore.View.PLAIN, "t");
            assertEquals(1, r.failed());
            assertNotNull(r.features()[0]);
            assertNull(r.features()[1]);
            assertThrows(ClipException.class, () -> new FeatureStore(dir.resolve("s2"), m, true).features(items, FeatureStore.View.PLAIN, "t"));
        }
    }
}
