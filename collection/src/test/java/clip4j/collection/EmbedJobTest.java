package clip4j.collection;

import clip4j.ClipException;
import clip4j.backend.VectorBackend;
import clip4j.io.DType;
import clip4j.model.ClipModel;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** clip4j embed's job: shards, failures recorded in place, resume to the same bytes, settings checked, determinism. */
class EmbedJobTest {
    @TempDir
    static Path tmp;
    static Path images, tar, model;

    /** 11 files in a folder tree (one corrupt, one link loop), a tar of 6 members (one cut short, captions ignored). */
    @BeforeAll
    static void collection() throws IOException {
        images = tmp.resolve("images");
        Files.createDirectories(images.resolve("b/c"));
        for (int i = 0; i < 10; i++) {
            Path dir = i % 3 == 0 ? images.resolve("b") : i % 3 == 1 ? images.resolve("b/c") : images;
            write(image(17 + 9 * i, 40 - i, i), i % 2 == 0 ? "png" : "jpg", dir.resolve(String.format("img%02d.%s", i, i % 2 == 0 ? "png" : "jpg")));
        }
        Files.writeString(images.resolve("broken.jpg"), "not a jpeg at all");
        Files.writeString(images.resolve("notes.txt"), "not an image: ignored");
        Files.createSymbolicLink(images.resolve("b/c/up"), Path.of("../.."));
        tar = tmp.resolve("shard.tar");
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(Files.newOutputStream(tar))) {
            for (int i = 0; i < 6; i++) {
                byte[] png = png(image(28, 28, 40 + i));
                if (i == 2) png = Arrays.copyOf(png, 30);
                member(t, String.format("%06d.png", i), png);
                member(t, String.format("%06d.txt", i), ("caption " + i).getBytes());
            }
        }
        model = TestData.seededModelWithText("test-tiny-quickgelu", 5);
    }

    static BufferedImage image(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(seed);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, new Color(r.nextInt(256), (x * 7) & 255, (y * 5 + seed) & 255).getRGB());
        return img;
    }

    static void write(BufferedImage img, String fmt, Path p) throws IOException {
        assertTrue(ImageIO.write(img, fmt, p.toFile()));
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(img, "png", b);
        return b.toByteArray();
    }

    static void member(TarArchiveOutputStream t, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }

    record Run(EmbedJob.Summary summary, List<String> warnings) {
    }

    static Run run(Path out, int threads, int decoders, Npy.DType dtype, boolean overwrite, int stopAfter, List<String> inputs) {
        List<String> warnings = new ArrayList<>();
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, threads); ClipModel m = ClipModel.load(model, be)) {
            int[] done = {0};
            EmbedJob.Summary s = EmbedJob.run(m, new EmbedJob.Options(inputs, out, 3, 4, dtype, decoders, overwrite), new EmbedJob.Listener() {
                @Override
                public void resumed(long items, long failed) {
                }

                @Override
                public void done(int items, int failed) {
                    done[0] += items;
                    if (stopAfter > 0 && done[0] >= stopAfter) throw new IllegalStateException("killed");
                }

                @Override
                public void warning(String line) {
                    warnings.add(line);
                }
            });
            return new Run(s, warnings);
        }
    }

    static Run run(Path out, int threads, int decoders) {
        return run(out, threads, decoders, Npy.DType.F32, false, 0, List.of(images.toString(), tar.toString()));
    }

    /** Every file of a folder, by name, as bytes. */
    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) m.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return m;
    }

    static void assertSameFiles(Map<String, byte[]> a, Map<String, byte[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);
    }

    static float[][] rows(Path npy) throws IOException {
        Npy.Header h = Npy.readHeader(npy);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(npy)).order(ByteOrder.LITTLE_ENDIAN).position((int) h.dataOffset());
        float[][] r = new float[h.rows()][h.dims()];
        for (float[] row : r) for (int j = 0; j < row.length; j++) row[j] = h.dtype() == Npy.DType.F32 ? b.getFloat() : Float.float16ToFloat(b.getShort());
        return r;
    }

    @Test
    void shardsHoldEveryItemInOrderWithFailuresInPlace() throws IOException {
        Path out = tmp.resolve("out-a");
        Run r = run(out, 2, 2);
        assertEquals(17, r.summary().items());
        assertEquals(2, r.summary().failed());
        assertEquals(5, r.summary().shards());
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("a link back to")), r.warnings().toString());
        List<MetadataFile.Row> meta = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            List<MetadataFile.Row> m = MetadataFile.read(out.resolve(String.format("metadata-%05d.parquet", s)));
            float[][] v = rows(out.resolve(String.format("embeddings-%05d.npy", s)));
            assertEquals(s < 4 ? 4 : 1, m.size());
            assertEquals(m.size(), v.length);
            meta.addAll(m);
            vectors.addAll(List.of(v));
        }
        // the folder sorted depth first (b/, b/c/, then the files beside them), then the tar's image members
        List<String> keys = meta.stream().map(MetadataFile.Row::key).toList();
        assertEquals(images.resolve("b/c/img01.jpg").toString(), keys.get(0));
        assertEquals(images.resolve("broken.jpg").toString(), keys.get(7));
        assertEquals(List.of("000000.png", "000001.png", "000002.png", "000003.png", "000004.png", "000005.png"), keys.subList(11, 17));
        for (int i = 0; i < 17; i++) {
            MetadataFile.Row row = meta.get(i);
            double norm = 0;
            for (float x : vectors.get(i)) norm += x * x;
            if (i == 7 || i == 13) {
                assertNotNull(row.error(), row.key());
                assertEquals(0, norm, row.key());
                assertEquals(-1, row.width());
            } else {
                assertNull(row.error(), row.key());
                assertEquals(1, norm, 1e-5, row.key());
                assertEquals(i >= 11 ? tar.toString() : null, row.source());
                assertTrue(row.width() > 0 && row.height() > 0);
            }
        }
        assertEquals("000002.png", meta.get(13).key());
        assertEquals(28, meta.get(12).width());
        // the same embedding as the model gives for the file alone
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 1); ClipModel m = ClipModel.load(model, be)) {
            float[] alone = m.encodeImages(List.of(Path.of(keys.get(0))))[0];
            assertArrayEquals(alone, vectors.get(0));
        }
        String manifest = Files.readString(out.resolve("manifest.json"));
        assertTrue(manifest.contains("\"complete\":true") && manifest.contains("\"failed\":2"), manifest);
    }

    @Test
    void aKilledRunResumesToTheSameBytes() throws IOException {
        Path whole = tmp.resolve("out-whole"), killed = tmp.resolve("out-killed");
        run(whole, 2, 2);
        assertThrows(IllegalStateException.class, () -> run(killed, 2, 2, Npy.DType.F32, false, 9, List.of(images.toString(), tar.toString())));
        assertTrue(Files.exists(killed.resolve("embeddings-00001.npy")));
        assertTrue(Files.notExists(killed.resolve("embeddings-00004.npy")));
        Run resumed = run(killed, 2, 2);
        assertTrue(resumed.summary().resumed() >= 8, resumed.summary().toString());
        assertEquals(17, resumed.summary().items());
        assertEquals(2, resumed.summary().failed());
        assertSameFiles(files(whole), files(killed));
        // a shard whose embeddings were never renamed into place is done again
        Files.delete(killed.resolve("embeddings-00002.npy"));
        run(killed, 2, 2);
        assertSameFiles(files(whole), files(killed));
    }

    @Test
    void threadsDoNotChangeABit() throws IOException {
        Path one = tmp.resolve("out-1"), two = tmp.resolve("out-2");
        run(one, 1, 1);
        run(two, 2, 3);
        assertSameFiles(files(one), files(two));
    }

    @Test
    void anotherSettingIsRefusedUnlessOverwritten() throws IOException {
        Path out = tmp.resolve("out-settings");
        List<String> in = List.of(images.toString(), tar.toString());
        run(out, 2, 1);
        ClipException e = assertThrows(ClipException.class, () -> run(out, 2, 1, Npy.DType.F16, false, 0, in));
        assertTrue(e.getMessage().contains("another dtype"), e.getMessage());
        run(out, 2, 1, Npy.DType.F16, true, 0, in);
        Npy.Header h = Npy.readHeader(out.resolve("embeddings-00000.npy"));
        assertEquals(Npy.DType.F16, h.dtype());
        e = assertThrows(ClipException.class, () -> run(out, 2, 1, Npy.DType.F16, false, 0, List.of(tar.toString())));
        assertTrue(e.getMessage().contains("another inputs"), e.getMessage());
    }

    @Test
    void inputsThatChangedUnderAFinishedShardAreRefused() throws IOException {
        Path dir = tmp.resolve("growing"), out = tmp.resolve("out-growing");
        Files.createDirectories(dir);
        for (int i = 0; i < 5; i++) write(image(20, 20, i), "png", dir.resolve("p" + i + ".png"));
        run(out, 1, 1, Npy.DType.F32, false, 0, List.of(dir.toString()));
        write(image(20, 20, 9), "png", dir.resolve("p0a.png"));
        ClipException e = assertThrows(ClipException.class, () -> run(out, 1, 1, Npy.DType.F32, false, 0, List.of(dir.toString())));
        assertTrue(e.getMessage().contains("the inputs changed"), e.getMessage());
    }

    @Test
    void aDamagedTarKeepsWhatCameBefore() throws IOException {
        Path cut = tmp.resolve("cut.tar");
        byte[] whole = Files.readAllBytes(tar);
        Files.write(cut, Arrays.copyOf(whole, 512 * 9 + 100));
        Run r = run(tmp.resolve("out-cut"), 1, 1, Npy.DType.F32, false, 0, List.of(cut.toString()));
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("is damaged")), r.warnings().toString());
        assertTrue(r.summary().items() >= 1 && r.summary().items() < 6, r.summary().toString());
    }

    @Test
    void aListOfPathsAndMissingFilesInIt() throws IOException {
        Path list = tmp.resolve("list.txt");
        Files.writeString(list, images.resolve("img02.png") + "\n\n" + images.resolve("gone.png") + "\n");
        Path out = tmp.resolve("out-list");
        Run r = run(out, 1, 1, Npy.DType.F32, false, 0, List.of(list.toString()));
        assertEquals(2, r.summary().items());
        List<MetadataFile.Row> m = MetadataFile.read(out.resolve("metadata-00000.parquet"));
        assertNull(m.get(0).error());
        assertTrue(m.get(1).error().contains("not found"), m.get(1).error());
    }

    /** Texts from a column of JSON lines, CSV and Parquet tables: the model's text embeddings, failures in place. */
    @Test
    void textsFromTables() throws IOException {
        Path jsonl = tmp.resolve("captions.jsonl"), csv = tmp.resolve("captions.csv"), parquet = tmp.resolve("captions.parquet");
        String longText = "a photo of a cat " + "and a dog ".repeat(60);
        Files.writeString(jsonl, "{\"caption\": \"a photo of a cat\", \"id\": 1}\n\n{\"id\": 2}\n{\"caption\": 7}\nnot json\n"
                + "{\"caption\": \"" + longText + "\"}\n");
        Files.writeString(csv, "id,caption\n1,\"a dog, running\"\n2,\"two\nlines\"\n");
        MetadataFile.write(parquet, List.of(new MetadataFile.Row("k1", null, -1, -1, "a red car", 4, false, null),
                new MetadataFile.Row("k2", null, -1, -1, null, -1, false, "none")), true);
        Path out = tmp.resolve("out-texts");
        List<String> warnings = new ArrayList<>();
        EmbedJob.Summary s;
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2); ClipModel m = ClipModel.load(model, be)) {
            EmbedJob.Listener quiet = new EmbedJob.Listener() {
                public void resumed(long items, long failed) {
                }

                public void done(int items, int failed) {
                }

                public void warning(String line) {
                    warnings.add(line);
                }
            };
            // the column of the Parquet table is "text"; of the others "caption": one run per column
            s = EmbedJob.run(m, new EmbedJob.Options(List.of(jsonl.toString(), csv.toString()), out, 4, 100, Npy.DType.F32, 1, false, "caption"), quiet);
            EmbedJob.Summary p = EmbedJob.run(m, new EmbedJob.Options(List.of(parquet.toString()), tmp.resolve("out-parquet"), 4, 100,
                    Npy.DType.F32, 1, false, "text"), quiet);
            assertEquals(2, p.items());
            assertEquals(1, p.failed());
            float[][] want = m.encodeTexts(List.of("a photo of a cat", longText, "a dog, running", "two\nlines"));
            float[][] got = rows(out.resolve("embeddings-00000.npy"));
            List<MetadataFile.Row> meta = MetadataFile.read(out.resolve("metadata-00000.parquet"));
            assertEquals(7, meta.size());
            assertArrayEquals(want[0], got[0]);
            assertArrayEquals(want[1], got[4]);
            assertArrayEquals(want[2], got[5]);
            assertArrayEquals(want[3], got[6]);
            assertEquals(jsonl + ":1", meta.get(0).key());
            assertEquals("a photo of a cat", meta.get(0).text());
            assertTrue(meta.get(1).error().contains("no column caption"), meta.get(1).toString());
            assertTrue(meta.get(2).error().contains("not a string"), meta.get(2).toString());
            assertTrue(meta.get(3).error().contains("not a JSON object"), meta.get(3).toString());
            assertTrue(meta.get(4).truncated() && meta.get(4).tokens() == 77, meta.get(4).toString());
            assertTrue(!meta.get(0).truncated() && meta.get(0).tokens() == m.tokenizer().trimPadding(m.tokenize("a photo of a cat")).length, meta.get(0).toString());
            assertEquals(csv + ":2", meta.get(6).key());
            assertArrayEquals(m.encodeTexts(List.of("a red car"))[0], rows(tmp.resolve("out-parquet/embeddings-00000.npy"))[0]);
        }
        assertEquals(3, s.failed());
        String manifest = Files.readString(out.resolve("manifest.json"));
        assertTrue(manifest.contains("\"kind\":\"text\"") && manifest.contains("\"text_column\":\"caption\""), manifest);
    }

    @Test
    void numpyReadsTheShards() throws Exception {
        Path out = tmp.resolve("out-numpy");
        run(out, 2, 1, Npy.DType.F16, false, 0, List.of(images.toString()));
        Path python = Path.of("/usr/bin/python3");
        Process p = Files.isExecutable(python) ? new ProcessBuilder(python.toString(), "-c", "import numpy").start() : null;
        if (p == null || p.waitFor() != 0) {
            System.err.println("### SKIPPED EmbedJobTest.numpyReadsTheShards: no python3 with numpy here (Debian: python3-numpy)");
            return;
        }
        Path npy = out.resolve("embeddings-00001.npy");
        Process q = new ProcessBuilder(python.toString(), "-c",
                "import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape[0], a.shape[1], repr(float(a[1, 3])))", npy.toString())
                .redirectErrorStream(true).start();
        String said = new String(q.getInputStream().readAllBytes()).strip();
        assertEquals(0, q.waitFor(), said);
        float[][] ours = rows(npy);
        assertEquals("float16 4 " + ours[0].length + " " + (double) ours[1][3], said);
    }
}
