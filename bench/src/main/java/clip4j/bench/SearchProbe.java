package clip4j.bench;

import clip4j.collection.AnnIndex;
import clip4j.collection.Index;
import clip4j.collection.Manifest;
import clip4j.collection.MetadataFile;
import clip4j.collection.Npy;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Search over N random unit vectors of D dimensions (an embeddings folder written the way 'clip4j embed' writes one,
 * made once in DIR): exact top-10 latency (median and 90th percentile of Q queries, after warm-up), the approximate
 * index's build time, and its recall@10 and latency at several ef. Usage: SearchProbe DIR [N=1000000] [D=512]
 * [THREADS=all] [Q=50] [f32|f16] [random|clustered] [ann|exact]. Random vectors are the hardest case for a graph (every
 * point nearly equidistant from a query); clustered ones (1000 centres, each point and query a centre plus as much
 * noise) are closer to real embeddings. Not JMH: each query is milliseconds long and the page cache is the subject.
 */
public final class SearchProbe {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000, d = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
        int queries = args.length > 4 ? Integer.parseInt(args[4]) : 50;
        Npy.DType dt = args.length > 5 && args[5].equals("f16") ? Npy.DType.F16 : Npy.DType.F32;
        boolean clustered = args.length > 6 && args[6].equals("clustered"), annToo = !(args.length > 7 && args[7].equals("exact"));
        float[][] centres = new float[1000][];
        Random rc = new Random(7);
        for (int i = 0; i < centres.length; i++) centres[i] = unit(rc, d);
        Source src = clustered ? r -> near(centres[r.nextInt(centres.length)], unit(r, d)) : r -> unit(r, d);
        if (!Files.exists(dir.resolve(Manifest.FILE))) write(dir, n, d, dt, src);
        Random r = new Random(99);
        try (Index idx = Index.open(dir, threads, 0)) {
            System.out.printf(Locale.ROOT, "%d vectors of %d (%s), %d shards, %d threads%n", idx.size(), idx.dims(), dt, idx.shards(), threads);
            List<float[]> qs = new ArrayList<>();
            for (int i = 0; i < queries; i++) qs.add(src.next(r));
            for (int i = 0; i < 5; i++) idx.search(qs.get(i), 10);
            double[] t = new double[queries];
            List<Set<Long>> truth = new ArrayList<>();
            for (int i = 0; i < queries; i++) {
                long t0 = System.nanoTime();
                List<Index.Hit> h = idx.search(qs.get(i), 10);
                t[i] = (System.nanoTime() - t0) / 1e6;
                Set<Long> s = new HashSet<>();
                h.forEach(x -> s.add(x.row()));
                truth.add(s);
            }
            System.out.printf(Locale.ROOT, "exact top-10: median %.1f ms, p90 %.1f ms (%.1f GB/s of embeddings)%n", pct(t, 50), pct(t, 90),
                    (double) idx.size() * d * dt.bytes() / pct(t, 50) / 1e6);
            if (!annToo) return;
            if (!Files.isDirectory(dir.resolve(AnnIndex.DIR))) {
                long t0 = System.nanoTime();
                AnnIndex.build(idx, 16, 100, threads, x -> { });
                System.out.printf(Locale.ROOT, "HNSW build (m 16, beam 100): %.1f s%n", (System.nanoTime() - t0) / 1e9);
            }
            try (AnnIndex ann = AnnIndex.open(idx)) {
                for (int ef : new int[]{10, 50, 100, 200, 400}) {
                    for (int i = 0; i < 5; i++) idx.search(qs.get(i), 10, ann, ef);
                    int found = 0;
                    double[] ta = new double[queries];
                    for (int i = 0; i < queries; i++) {
                        long t0 = System.nanoTime();
                        List<Index.Hit> h = idx.search(qs.get(i), 10, ann, ef);
                        ta[i] = (System.nanoTime() - t0) / 1e6;
                        for (Index.Hit x : h) if (truth.get(i).contains(x.row())) found++;
                    }
                    System.out.printf(Locale.ROOT, "HNSW ef %3d: recall@10 %.3f, median %.2f ms, p90 %.2f ms%n", ef, found / (10.0 * queries),
                            pct(ta, 50), pct(ta, 90));
                }
            }
        }
    }

    static double pct(double[] t, int p) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, s.length * p / 100)];
    }

    interface Source {
        float[] next(Random r);
    }

    /** A centre plus noise of the same length, normalised. */
    static float[] near(float[] centre, float[] noise) {
        float[] v = new float[centre.length];
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = centre[i] + noise[i];
            s += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) v[i] /= (float) Math.sqrt(s);
        return v;
    }

    static float[] unit(Random r, int d) {
        float[] v = new float[d];
        double s = 0;
        for (int i = 0; i < d; i++) {
            v[i] = (float) r.nextGaussian();
            s += v[i] * v[i];
        }
        for (int i = 0; i < d; i++) v[i] /= (float) Math.sqrt(s);
        return v;
    }

    static void write(Path dir, int n, int d, Npy.DType dt, Source src) throws Exception {
        Files.createDirectories(dir);
        Random r = new Random(1);
        int shard = 100_000;
        for (int s = 0; s * shard < n; s++) {
            int rows = Math.min(shard, n - s * shard);
            List<float[]> v = new ArrayList<>(rows);
            List<MetadataFile.Row> meta = new ArrayList<>(rows);
            for (int i = 0; i < rows; i++) {
                v.add(src.next(r));
                meta.add(new MetadataFile.Row("random/" + (s * shard + i), null, 1, 1, null));
            }
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(dir.resolve(String.format("embeddings-%05d.npy", s))), 1 << 20)) {
                Npy.write(o, v, d, dt);
            }
            MetadataFile.write(dir.resolve(String.format("metadata-%05d.parquet", s)), meta, false);
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model_sha256", "random");
        settings.put("dims", String.valueOf(d));
        Manifest.write(dir, settings, null);
    }
}
