package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import clip4j.backend.GemmPlan;
import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The CPU backend's packed weights in a panel file under its cache directory: made on a model's first load, mapped
 * (not remade) on the next, made again for a changed model file or a damaged panel file, and the embeddings are the
 * bits of a backend that packs in memory.
 */
class PanelFileTest {
    @TempDir
    Path cache;

    private static final GemmPlan PLAN = GemmPlan.seed(32);

    private float[][] embed(Path model, Path cacheDir) {
        EngineOptions o = EngineOptions.defaults().withThreads(2).withGemmPlan(PLAN).withCacheDir(cacheDir);
        try (Backend be = Backends.create(o); ClipModel m = ClipModel.load(model, be)) {
            float[] px = new float[3 * m.config().imageSize() * m.config().imageSize()];
            for (int i = 0; i < px.length; i++) px[i] = (float) Math.cos(i * 0.11);
            float[][] img = m.imageFeatures(List.of(px, px));
            float[][] txt = m.textFeatures(new int[][]{m.tokenize("a photo of a cat")});
            return new float[][]{img[0], img[1], txt[0]};
        }
    }

    private List<Path> panelFiles() throws IOException {
        Path dir = cache.resolve("panels");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    @Test
    void madeOnceMappedAfterAndTheSameBits() throws IOException {
        Path model = Files.copy(TestData.seededModelWithText("test-tiny", 31), cache.resolve("model.safetensors"));
        float[][] inMemory = embed(model, null);
        float[][] first = embed(model, cache);
        List<Path> files = panelFiles();
        assertEquals(1, files.size(), "one panel file after the first load");
        FileTime made = Files.getLastModifiedTime(files.getFirst());
        float[][] second = embed(model, cache);
        assertEquals(files, panelFiles());
        assertEquals(made, Files.getLastModifiedTime(files.getFirst()), "the second load maps the panel file, not makes it again");
        for (int i = 0; i < first.length; i++) {
            assertArrayEquals(inMemory[i], first[i], "panel file vs packed in memory, row " + i);
            assertArrayEquals(first[i], second[i], "second load, row " + i);
        }
    }

    @Test
    void aChangedModelOrADamagedPanelFileIsPackedAgain() throws IOException {
        Path model = Files.copy(TestData.seededModelWithText("test-tiny", 32), cache.resolve("model.safetensors"));
        float[][] before = embed(model, cache);
        Path panels = panelFiles().getFirst();
        // damaged: cut short (no longer valid safetensors) -> made again under the same name, same results
        byte[] whole = Files.readAllBytes(panels);
        Files.write(panels, java.util.Arrays.copyOf(whole, whole.length / 2));
        float[][] again = embed(model, cache);
        assertEquals(whole.length, Files.size(panels), "the damaged panel file is made again");
        for (int i = 0; i < before.length; i++) assertArrayEquals(before[i], again[i]);
        // another model in the same place (new content, new time): its own panel file, its own results
        Files.copy(TestData.seededModelWithText("test-tiny", 33), model, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(model, FileTime.fromMillis(Files.getLastModifiedTime(model).toMillis() + 5000));
        float[][] other = embed(model, cache);
        assertEquals(1, panelFiles().size(), "a changed model file gets a panel file of its own, which replaces the old one");
        assertNotEquals(panels, panelFiles().getFirst());
        assertNotEquals(java.util.Arrays.toString(before[0]), java.util.Arrays.toString(other[0]));
        assertArrayEquals(embed(model, null)[0], other[0], "the changed model's own weights, not the old panels");
        // a model file that is gone: its panel file goes when the next panel file is made
        Path second = Files.copy(TestData.seededModelWithText("test-tiny", 34), cache.resolve("second.safetensors"));
        Files.delete(model);
        embed(second, cache);
        assertEquals(1, panelFiles().size(), "the panel file of a deleted model is removed: " + panelFiles());
    }
}
