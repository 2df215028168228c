package clip4j.model;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.backend.Workspace;
import clip4j.image.Preprocessor;
import clip4j.io.Tensor;
import clip4j.text.ClipTokenizer;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A loaded CLIP (upstream clip/model.py {@code CLIP}: {@code encode_image}, {@code encode_text}): the memory-mapped
 * model file, both encoders, the tokenizer from the file's BPE merges and the preprocessor with the model's mean/std.
 * {@code encode*} return L2-normalised embeddings, {@code *Features} the raw projections. The backend is the caller's;
 * closing the model unmaps the weights. Safe for concurrent callers: each call runs in a {@link Workspace} of its own,
 * the caller's or one borrowed from the model's idle ones (so a steady stream of calls allocates no activations).
 */
public final class ClipModel implements AutoCloseable {
    private final ModelFile file;
    private final Backend backend;
    private final VisionTower visual;
    private final TextTransformer text;
    private volatile ClipTokenizer tokenizer;
    private final Preprocessor preprocessor;
    private static final Workspace.Buffer FEATURES = Workspace.buffer("model.features");
    /** Workspaces not in use (a lock-guarded stack: taking and returning one allocates nothing). */
    private final ArrayDeque<Workspace> idle = new ArrayDeque<>();

    private ClipModel(ModelFile file, Backend backend) {
        this.file = file;
        this.backend = backend;
        ClipConfig c = file.config();
        this.visual = VisionTower.load(file);
        this.text = TextTransformer.load(file);
        this.preprocessor = new Preprocessor(c.imageSize(), c.imageMean(), c.imageStd());
        List<Tensor> matrices = new ArrayList<>(visual.matrices());
        matrices.addAll(text.matrices());
        backend.prepare(file.identity(), matrices);
    }

    public static ClipModel load(Path path, Backend backend) {
        ModelFile f = ModelFile.open(path);
        try {
            return new ClipModel(f, backend);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    public ClipConfig config() {
        return file.config();
    }

    public ModelFile file() {
        return file;
    }

    public Backend backend() {
        return backend;
    }

    public Preprocessor preprocessor() {
        return preprocessor;
    }

    /** The tokenizer from the file's BPE merges, built on first use (image-only work never pays for it). */
    public ClipTokenizer tokenizer() {
        ClipTokenizer t = tokenizer;
        if (t == null) {
            synchronized (this) {
                if (tokenizer == null) {
                    String merges = file.bpeMerges();
                    if (merges == null) throw new ClipException(file.path() + " carries no BPE merges; convert it again with a BPE vocabulary");
                    ClipTokenizer tok = ClipTokenizer.fromMerges(merges);
                    if (tok.bpe().vocabSize() != config().vocabSize()) {
                        throw new ClipException(file.path() + ": its BPE vocabulary has " + tok.bpe().vocabSize()
                                + " tokens but its text encoder " + config().vocabSize());
                    }
                    tokenizer = tok;
                }
                t = tokenizer;
            }
        }
        return t;
    }

    /** Images per forward pass: the backend's {@link Backend#imageBatch()}. */
    public int imageBatch() {
        return backend.imageBatch();
    }

    /** Raw image features [n][E] of preprocessed [3, R, R] tensors. */
    public float[][] imageFeatures(List<float[]> pixels) {
        float[][] out = new float[pixels.size()][config().embedDim()];
        imageFeatures(pixels, out);
        return out;
    }

    /** Raw image features into out[i][0, E): with reused arrays a steady stream of calls allocates nothing. */
    public void imageFeatures(List<float[]> pixels, float[][] out) {
        Workspace ws = borrow();
        try {
            imageFeatures(pixels, out, ws);
        } finally {
            giveBack(ws);
        }
    }

    /** Raw image features into out[i][0, E), computed in the caller's workspace. */
    public void imageFeatures(List<float[]> pixels, float[][] out, Workspace ws) {
        int e = config().embedDim();
        int perBatch = imageBatch();
        for (int s = 0; s < pixels.size(); s += perBatch) {
            List<float[]> batch = pixels.size() <= perBatch ? pixels : pixels.subList(s, Math.min(pixels.size(), s + perBatch));
            int b = batch.size();
            float[] f = ws.floats(FEATURES, b * e);
            try {
                visual.forward(backend, ws, batch, f);
            } catch (InternalError | ArithmeticException x) {
                throw mappingFailure(x);
            }
            for (int i = 0; i < b; i++) System.arraycopy(f, i * e, out[s + i], 0, e);
        }
    }

    /**
     * What a failure while reading the memory-mapped weights means: if the file shrinks under the mapping, the next
     * read faults (SIGBUS), which the JVM raises as an InternalError; sizes of a hostile file can overflow.
     */
    private ClipException mappingFailure(Throwable e) {
        if (e instanceof InternalError) {
            return new ClipException(file.path() + " changed or was truncated while in use (" + e.getMessage() + ")", e);
        }
        return new ClipException(file.path() + ": the model's sizes are too large for this batch (" + e.getMessage() + ")", e);
    }

    private Workspace borrow() {
        synchronized (idle) {
            Workspace ws = idle.pollFirst();
            return ws != null ? ws : new Workspace();
        }
    }

    private void giveBack(Workspace ws) {
        synchronized (idle) {
            idle.addFirst(ws);
        }
    }

    /** The image encoder, for callers that drive a backend directly (the CUDA device check). */
    public VisionTower visual() {
        return visual;
    }

    /** L2-normalised image embeddings of image files. */
    public float[][] encodeImages(List<Path> images) {
        List<float[]> px = images.stream().map(preprocessor::preprocess).toList();
        return Embeddings.normalizeRows(imageFeatures(px));
    }

    /** Raw text features [n][E] of token-id rows. */
    public float[][] textFeatures(int[][] ids) {
        float[][] out = new float[ids.length][config().embedDim()];
        textFeatures(ids, out);
        return out;
    }

    /** Raw text features into out[i][0, E): with reused arrays a steady stream of calls allocates nothing. */
    public void textFeatures(int[][] ids, float[][] out) {
        Workspace ws = borrow();
        try {
            textFeatures(ids, out, ws);
        } finally {
            giveBack(ws);
        }
    }

    /** Raw text features into out[i][0, E), computed in the caller's workspace. */
    public void textFeatures(int[][] ids, float[][] out, Workspace ws) {
        int e = config().embedDim();
        float[] f = ws.floats(FEATURES, ids.length * e);
        try {
            text.forward(backend, ws, ids, f);
        } catch (InternalError | ArithmeticException x) {
            throw mappingFailure(x);
        }
        for (int i = 0; i < ids.length; i++) System.arraycopy(f, i * e, out[i], 0, e);
    }

    public int[] tokenize(String text) {
        return tokenizer().tokenize(text, config().contextLength());
    }

    /**
     * L2-normalised text embeddings, prompts batched by up to 64 in order of length, so that a batch pads little (a
     * prompt's result does not depend on its batch: rows are independent and the EOT row never sees padding; only the
     * JIT's rounding of vector reductions can move it, as it can between any two calls).
     */
    public float[][] encodeTexts(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = tokenize(texts.get(i));
        return encodeTokens(ids);
    }

    /** L2-normalised text embeddings of tokenised prompts ({@link #tokenize}), batched as {@link #encodeTexts}. */
    public float[][] encodeTokens(int[][] ids) {
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> TextTransformer.eotIndex(ids[i])));
        float[][] out = new float[ids.length][];
        for (int s = 0; s < order.length; s += 64) {
            int b = Math.min(64, order.length - s);
            int[][] batch = new int[b][];
            for (int i = 0; i < b; i++) batch[i] = ids[order[s + i]];
            float[][] f = textFeatures(batch);
            for (int i = 0; i < b; i++) out[order[s + i]] = f[i];
        }
        return Embeddings.normalizeRows(out);
    }

    /** exp(logit_scale), the factor on cosine similarities. */
    public float logitScaleFactor() {
        return (float) Math.exp(config().logitScale());
    }

    @Override
    public void close() {
        file.close();
    }
}
