package clip4j.data;

import clip4j.ClipException;
import clip4j.io.AtomicFiles;
import clip4j.io.Hashing;
import clip4j.model.ClipConfig;
import clip4j.model.ClipModel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.zip.CRC32C;

/**
 * Raw (unnormalised) image features on disk, one file per (model, preprocessing, view, image) under a key that hashes
 * all four: the model file's SHA-256, the preprocessing settings, the view (plain, or augmentation seed and pass) and
 * the image's content hash. A re-run never re-encodes, and features of another model, view or image can never be
 * returned (the stale-cache pitfall of docs/adapters.md#pitfalls). Each file ends with the CRC-32C of its floats: a
 * damaged one is recomputed, and the store says so once. Unreadable images are skipped with a counted warning, or are
 * errors when strict.
 */
public final class FeatureStore {
    private static final System.Logger LOG = System.getLogger("clip4j");

    /** Which view of an image: plain preprocessing, or one augmentation pass. */
    public record View(String key, long seed, int pass) {
        public static final View PLAIN = new View("plain", 0, -1);

        public static View augmented(long seed, int pass) {
            return new View("aug-rrc0.5-flip:" + seed + ":" + pass, seed, pass);
        }

        boolean isPlain() {
            return pass < 0;
        }
    }

    /** Features in item order; {@code null} rows for images that could not be read. */
    public record Result(float[][] features, int failed) {
    }

    private final Path dir;
    private final ClipModel model;
    private final String prefix;
    private final Augmenter augmenter;
    private final boolean strict;
    private final IntConsumer encoded;
    private int damaged;

    public FeatureStore(Path dir, ClipModel model, boolean strict) {
        this.dir = dir;
        this.model = model;
        this.strict = strict;
        this.encoded = n -> {
        };
        ClipConfig c = model.config();
        this.prefix = Hashing.sha256(model.file().path()) + "|pillow-bicubic-crop-v1|crc32c:" + c.imageSize() + ":"
                + Arrays.toString(c.imageMean()) + Arrays.toString(c.imageStd()) + "|";
        this.augmenter = new Augmenter(model.preprocessor());
    }

    private FeatureStore(FeatureStore s, IntConsumer encoded) {
        this.dir = s.dir;
        this.model = s.model;
        this.strict = s.strict;
        this.prefix = s.prefix;
        this.augmenter = s.augmenter;
        this.encoded = encoded;
    }

    /** The model whose features it keeps. */
    public ClipModel model() {
        return model;
    }

    /** The same store, telling {@code encoded} the number of images each time a batch has been encoded (progress). */
    public FeatureStore withProgress(IntConsumer encoded) {
        return new FeatureStore(this, encoded);
    }

    private Path file(ImageItem item, View view) {
        String key = Hashing.sha256(prefix + view.key + "|" + item.contentHash());
        return dir.resolve(key.substring(0, 2)).resolve(key + ".f32");
    }

    /** Whether the store holds the features of this item in this view (a file of the right size; reading checks more). */
    public boolean has(ImageItem item, View view) {
        Path f = file(item, view);
        try {
            return Files.isRegularFile(f) && Files.size(f) == 4L * model.config().embedDim() + 4;
        } catch (IOException e) {
            return false;
        }
    }

    /** Features of items in one view, encoding (in batches) only what the store lacks. */
    public Result features(List<ImageItem> items, View view, String what) {
        int e = model.config().embedDim();
        float[][] out = new float[items.size()][];
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out[i] = read(file(items.get(i), view), e);
            if (out[i] == null) missing.add(i);
        }
        int failed = 0;
        for (int s = 0; s < missing.size(); s += model.imageBatch()) {
            List<Integer> chunk = missing.subList(s, Math.min(missing.size(), s + model.imageBatch()));
            List<float[]> px = new ArrayList<>();
            List<Integer> ok = new ArrayList<>();
            for (int i : chunk) {
                ImageItem it = items.get(i);
                try {
                    var img = it.load();
                    px.add(view.isPlain() ? model.preprocessor().normalize(model.preprocessor().toRgb(img))
                            : augmenter.augment(img, view.seed() * 1_000_003L + view.pass() * 7919L + it.contentHash().hashCode()));
                    ok.add(i);
                } catch (ClipException ex) {
                    if (strict) throw ex;
                    LOG.log(System.Logger.Level.WARNING, "skipping unreadable image: " + ex.getMessage());
                    failed++;
                }
            }
            float[][] f = model.imageFeatures(px);
            for (int j = 0; j < ok.size(); j++) {
                out[ok.get(j)] = f[j];
                write(file(items.get(ok.get(j)), view), f[j]);
            }
            encoded.accept(chunk.size());
        }
        if (failed > 0) LOG.log(System.Logger.Level.WARNING, failed + " unreadable image(s) skipped in " + what + " (a strict store stops instead)");
        return new Result(out, failed);
    }

    /**
     * L2-normalised prompt embeddings, stored under the model hash and the prompt text. Besides saving work, re-runs
     * then use bit-identical class weights (the Vector API kernels may round differently before and after JIT
     * compilation).
     */
    public float[][] textEmbeddings(List<String> prompts) {
        int e = model.config().embedDim();
        float[][] out = new float[prompts.size()][];
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            out[i] = read(textFile(prompts.get(i)), e);
            if (out[i] == null) missing.add(i);
        }
        if (!missing.isEmpty()) {
            float[][] f = model.encodeTexts(missing.stream().map(prompts::get).toList());
            for (int j = 0; j < f.length; j++) {
                out[missing.get(j)] = f[j];
                write(textFile(prompts.get(missing.get(j))), f[j]);
            }
        }
        return out;
    }

    private Path textFile(String prompt) {
        // "text2": normalised by Embeddings.normalize (division); "text" entries were multiplied by 1/norm, 1 ulp apart
        String key = Hashing.sha256(prefix + "text2|" + prompt);
        return dir.resolve(key.substring(0, 2)).resolve(key + ".f32");
    }

    /** The features of a file, or null when it is missing or damaged (a damaged one is counted and reported once). */
    private float[] read(Path f, int e) {
        if (!Files.isRegularFile(f)) return null;
        try {
            byte[] b = Files.readAllBytes(f);
            ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            if (b.length != 4 * e + 4 || buf.getInt(4 * e) != crc(b, 4 * e)) {
                reportDamaged();
                return null;
            }
            float[] v = new float[e];
            buf.asFloatBuffer().get(v);
            for (float x : v) if (!Float.isFinite(x)) return null;
            return v;
        } catch (IOException ex) {
            return null;
        }
    }

    private synchronized void reportDamaged() {
        if (damaged++ == 0) LOG.log(System.Logger.Level.WARNING, "damaged feature file(s) in " + dir + " failed their checksum: recomputing them");
    }

    /** How many stored feature files failed their checksum (and were recomputed). */
    public synchronized int damagedFiles() {
        return damaged;
    }

    private static int crc(byte[] b, int n) {
        CRC32C c = new CRC32C();
        c.update(b, 0, n);
        return (int) c.getValue();
    }

    private static void write(Path f, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        b.putInt(crc(b.array(), 4 * v.length));
        AtomicFiles.write(f, tmp -> Files.write(tmp, b.array()));
    }
}
