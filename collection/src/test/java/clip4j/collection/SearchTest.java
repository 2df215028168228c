package clip4j.collection;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The score kernel against its plain twin, top-k against a sort, and exact search over shards against brute force. */
class SearchTest {
    static float[] unit(Random r, int d) {
        float[] v = new float[d];
        double n = 0;
        for (int i = 0; i < d; i++) {
            v[i] = (float) r.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < d; i++) v[i] /= (float) Math.sqrt(n);
        return v;
    }

    /** The vector kernel gives the plain twin's bits at each width, f32 and f16 rows, odd and CLIP widths. */
    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void kernelEqualsItsPlainTwin(int bits) {
        Scores k = Scores.of(bits);
        int lanes = bits / 32;
        Random r = new Random(bits);
        for (int d : new int[]{1, 3, 7, 16, 17, 33, 64, 512, 768, 1024}) {
            for (boolean f16 : new boolean[]{false, true}) {
                int rows = 5;
                MemorySegment m = Arena.ofAuto().allocate((long) rows * d * (f16 ? 2 : 4) + 8);
                long base = 8; // an offset, as an .npy header puts one
                for (int i = 0; i < rows * d; i++) {
                    float v = (float) r.nextGaussian();
                    if (f16) m.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), base + 2L * i, Float.floatToFloat16(v));
                    else m.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), base + 4L * i, v);
                }
                float[] q = unit(r, d), scratch = new float[lanes];
                for (int row = 0; row < rows; row++) {
                    float want = Scores.plainDot(lanes, m, base, d, f16, row, q);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(k.dot(m, base, d, f16, row, q, scratch)),
                            "d " + d + " f16 " + f16 + " row " + row + " at " + bits + " bits");
                    double exact = 0;
                    for (int j = 0; j < d; j++) {
                        float x = f16 ? Float.float16ToFloat(m.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), base + 2L * (row * d + j)))
                                : m.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), base + 4L * (row * d + j));
                        exact += (double) x * q[j];
                    }
                    assertEquals(exact, want, 1e-5 * Math.sqrt(d));
                }
            }
        }
    }

    @Test
    void topKKeepsTheBestWhateverTheOrder() {
        Random r = new Random(3);
        List<Integer> order = new ArrayList<>();
        float[] s = new float[200];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.nextInt(50) / 7f; // ties
            order.add(i);
        }
        TopK a = new TopK(10);
        for (int i : order) a.offer(i, s[i]);
        Collections.shuffle(order, r);
        TopK b1 = new TopK(10), b2 = new TopK(10);
        for (int j = 0; j < order.size(); j++) (j % 2 == 0 ? b1 : b2).offer(order.get(j), s[order.get(j)]);
        TopK b = TopK.merge(10, List.of(b1, b2));
        assertEquals(a.hits(), b.hits());
        List<Integer> sorted = new ArrayList<>(order);
        sorted.sort((x, y) -> s[x] != s[y] ? Float.compare(s[y], s[x]) : Integer.compare(x, y));
        for (int i = 0; i < 10; i++) assertEquals((long) sorted.get(i), a.hits().get(i).row());
    }

    /** Three shards, with failed items' rows of zeros, which are never hits. */
    @Test
    void exactSearchFindsWhatBruteForceFinds(@TempDir Path dir) throws IOException {
        Random r = new Random(11);
        int d = 40;
        List<float[]> all = new ArrayList<>();
        int[] sizes = {CHUNKED, 7, 300};
        for (int s = 0; s < sizes.length; s++) {
            List<float[]> rows = new ArrayList<>();
            List<MetadataFile.Row> meta = new ArrayList<>();
            for (int i = 0; i < sizes[s]; i++) {
                boolean failed = i % 50 == 3;
                float[] v = failed ? new float[d] : unit(r, d);
                rows.add(v);
                all.add(v);
                meta.add(new MetadataFile.Row("s" + s + "/" + i, null, failed ? -1 : 5, failed ? -1 : 6, failed ? "bad" : null));
            }
            try (OutputStream o = Files.newOutputStream(dir.resolve(String.format(EmbedJob.EMBEDDINGS, s)))) {
                Npy.write(o, rows, d, Npy.DType.F32);
            }
            MetadataFile.write(dir.resolve(String.format(EmbedJob.METADATA, s)), meta, false);
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model_sha256", "x");
        settings.put("dims", String.valueOf(d));
        Manifest.write(dir, settings, null);
        try (Index idx = Index.open(dir, 2, 0)) {
            assertEquals(all.size(), idx.size());
            for (int t = 0; t < 5; t++) {
                float[] q = t == 0 ? all.get(CHUNKED + 2) : unit(r, d);
                List<Index.Hit> hits = idx.search(q, 12);
                List<Integer> order = new ArrayList<>();
                double[] exact = new double[all.size()];
                for (int i = 0; i < all.size(); i++) {
                    for (int j = 0; j < d; j++) exact[i] += (double) all.get(i)[j] * q[j];
                    if (!isZero(all.get(i))) order.add(i);
                }
                order.sort((x, y) -> Double.compare(exact[y], exact[x]));
                for (int i = 0; i < 12; i++) {
                    assertEquals((long) order.get(i), hits.get(i).row(), "rank " + i);
                    assertEquals(exact[order.get(i)], hits.get(i).score(), 1e-6);
                    assertFalse(hits.get(i).item().key().isEmpty());
                    assertTrue(hits.get(i).item().ok());
                }
                if (t == 0) {
                    assertEquals(CHUNKED + 2, hits.get(0).row());
                    assertEquals("s1/2", hits.get(0).item().key());
                }
            }
        }
    }

    /** The graph finds nearly every true top-10 (recall@10) on 3000 random unit vectors; its hits are scored exactly. */
    @Test
    void approximateSearchHasHighRecallAndExactScores(@TempDir Path dir) throws IOException {
        Random r = new Random(5);
        int d = 32, n = 3000;
        List<float[]> rows = new ArrayList<>();
        List<MetadataFile.Row> meta = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(i == 7 ? new float[d] : unit(r, d));
            meta.add(new MetadataFile.Row("k" + i, null, 1, 1, i == 7 ? "bad" : null));
        }
        try (OutputStream o = Files.newOutputStream(dir.resolve(String.format(EmbedJob.EMBEDDINGS, 0)))) {
            Npy.write(o, rows, d, Npy.DType.F16);
        }
        MetadataFile.write(dir.resolve(String.format(EmbedJob.METADATA, 0)), meta, false);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("dims", String.valueOf(d));
        Manifest.write(dir, settings, null);
        try (Index idx = Index.open(dir, 2, 0)) {
            AnnIndex.build(idx, 16, 100, 2, x -> { });
            try (AnnIndex ann = AnnIndex.open(idx)) {
                assertEquals(n - 1, ann.size());
                int found = 0;
                for (int t = 0; t < 20; t++) {
                    float[] q = unit(r, d);
                    List<Index.Hit> exact = idx.search(q, 10), approx = idx.search(q, 10, ann, 100);
                    java.util.Set<Long> truth = new java.util.HashSet<>();
                    exact.forEach(h -> truth.add(h.row()));
                    for (Index.Hit h : approx) {
                        if (truth.contains(h.row())) found++;
                        Index.Hit same = exact.stream().filter(e -> e.row() == h.row()).findFirst().orElse(null);
                        if (same != null) assertEquals(same.score(), h.score());
                    }
                }
                assertTrue(found >= 190, "recall@10 " + found / 200.0);
            }
            // rows embedded since the graph was built: it is refused, not trusted
            try (OutputStream o = Files.newOutputStream(dir.resolve(String.format(EmbedJob.EMBEDDINGS, 1)))) {
                Npy.write(o, rows.subList(0, 5), d, Npy.DType.F16);
            }
            MetadataFile.write(dir.resolve(String.format(EmbedJob.METADATA, 1)), meta.subList(0, 5), false);
        }
        try (Index grown = Index.open(dir, 1, 0)) {
            clip4j.ClipException e = org.junit.jupiter.api.Assertions.assertThrows(clip4j.ClipException.class, () -> AnnIndex.open(grown));
            assertTrue(e.getMessage().contains("build it again"), e.getMessage());
        }
    }

    /** Over one task's rows, so that the first shard is cut between tasks. */
    static final int CHUNKED = Index.CHUNK + 5;

    static boolean isZero(float[] v) {
        for (float x : v) if (x != 0) return false;
        return true;
    }
}
