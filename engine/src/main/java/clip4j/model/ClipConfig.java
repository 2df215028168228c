package clip4j.model;

import clip4j.ClipException;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hyper-parameters of a CLIP (upstream clip/model.py {@code build_model}; docs/forward-pass.md#configurations)
 * plus what the weights cannot tell: activation, image mean/std and logit scale. Stored as string metadata in our
 * model file under the keys of {@link #toMetadata()} (docs/model-file.md#metadata).
 * <p>
 * The image tower is a ViT ({@code VisionTransformer}) unless {@code resnetLayers} lists the Bottleneck blocks per
 * stage of a {@code ModifiedResNet} (RN50: 3, 4, 6, 3). For a ResNet, as in build_model: visionWidth is the stem's
 * width (64 for RN50; the last stage has 32× that), visionHeads the attention pool's heads (width·32/64),
 * visionLayers the number of blocks, and patchSize 32, the tower's total downsampling, so that {@link #grid()} is the
 * side of the last feature map and {@link #visionTokens()} the attention pool's tokens.
 */
public record ClipConfig(
        String architecture,
        int visionWidth, int visionLayers, int visionHeads, int patchSize, int imageSize,
        int textWidth, int textLayers, int textHeads, int contextLength, int vocabSize,
        int embedDim, Activation activation, float[] imageMean, float[] imageStd,
        float layerNormEps, float logitScale, int[] resnetLayers) {

    /** OpenAI's normalisation constants (upstream clip/clip.py {@code _transform}; docs/preprocessing.md#tensor-conversion). */
    public static final float[] OPENAI_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] OPENAI_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /**
     * Upper bounds far above every CLIP shape (the largest, ViT-bigG-14 and RN50x64, stay under a tenth of each), so
     * that no single size in a hostile file overflows (grid² + 1 ≤ 4097 tokens); products with a batch are computed
     * overflow-checked where the scratch space is sized.
     */
    static final int MAX_WIDTH = 16384, MAX_LAYERS = 512, MAX_IMAGE = 8192, MAX_GRID = 64, MAX_CONTEXT = 8192, MAX_VOCAB = 1 << 22;

    /** A ViT CLIP. */
    public ClipConfig(String architecture, int visionWidth, int visionLayers, int visionHeads, int patchSize, int imageSize,
                      int textWidth, int textLayers, int textHeads, int contextLength, int vocabSize, int embedDim,
                      Activation activation, float[] imageMean, float[] imageStd, float layerNormEps, float logitScale) {
        this(architecture, visionWidth, visionLayers, visionHeads, patchSize, imageSize, textWidth, textLayers, textHeads,
                contextLength, vocabSize, embedDim, activation, imageMean, imageStd, layerNormEps, logitScale, new int[0]);
    }

    /** A ResNet CLIP: its stages' block counts, stem width, attention-pool heads and input resolution. */
    public static ClipConfig resnet(String architecture, int[] layers, int width, int heads, int imageSize, int textWidth,
                                    int textLayers, int textHeads, int embedDim, Activation activation) {
        int blocks = 0;
        for (int l : layers) blocks += l;
        return new ClipConfig(architecture, width, blocks, heads, 32, imageSize, textWidth, textLayers, textHeads, 77, 49408,
                embedDim, activation, OPENAI_MEAN, OPENAI_STD, 1e-5f, (float) Math.log(100.0), layers.clone());
    }

    public ClipConfig {
        check(resnetLayers != null && (resnetLayers.length == 0 || resnetLayers.length == 4), "a ResNet has four stages");
        for (int l : resnetLayers) check(l > 0 && l <= MAX_LAYERS, "a ResNet stage needs 1.." + MAX_LAYERS + " blocks");
        check(resnetLayers.length == 0 || (patchSize == 32 && visionWidth % 2 == 0 && visionLayers == java.util.Arrays.stream(resnetLayers).sum()),
                "a ResNet's vision width must be even, its layers the sum of its stages, its downsampling 32");
        check(visionWidth > 0 && visionLayers > 0 && visionHeads > 0 && visionWidth <= MAX_WIDTH
                        && (long) visionWidth * (resnetLayers.length == 0 ? 1 : 32) % visionHeads == 0,
                "vision width must split evenly into heads");
        check(patchSize > 0 && imageSize > 0 && imageSize % patchSize == 0, "image size must be a multiple of the patch size");
        check(textWidth > 0 && textLayers > 0 && textHeads > 0 && textWidth % textHeads == 0,
                "text width must split evenly into heads");
        check(contextLength > 1 && vocabSize > 1 && embedDim > 0, "bad text context, vocabulary or embed dim");
        check(visionWidth <= MAX_WIDTH && textWidth <= MAX_WIDTH && embedDim <= MAX_WIDTH, "widths above " + MAX_WIDTH);
        check(visionLayers <= MAX_LAYERS && textLayers <= MAX_LAYERS, "more than " + MAX_LAYERS + " layers");
        check(imageSize <= MAX_IMAGE && imageSize / patchSize <= MAX_GRID, "image size above " + MAX_IMAGE + " or more than "
                + MAX_GRID + "x" + MAX_GRID + " patches");
        check(contextLength <= MAX_CONTEXT && vocabSize <= MAX_VOCAB, "context above " + MAX_CONTEXT + " or vocabulary above " + MAX_VOCAB);
        check(imageMean != null && imageStd != null && imageMean.length == 3 && imageStd.length == 3, "image mean and std need 3 values");
        for (float m : imageMean) check(Float.isFinite(m), "image mean must be finite");
        for (float s : imageStd) check(s > 0 && Float.isFinite(s), "image std must be positive");
        check(layerNormEps > 0 && layerNormEps < 1 && Float.isFinite(logitScale) && Math.abs(logitScale) <= 50,
                "bad layer-norm eps or logit scale");
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new ClipException("bad model config: " + what);
    }

    /** Whether the image tower is a ModifiedResNet. */
    public boolean isResNet() {
        return resnetLayers.length > 0;
    }

    /**
     * The width of the image tower's attention: the ViT's width, or a ResNet's last feature map (32× the stem width),
     * which the attention pool attends over.
     */
    public int visionEmbed() {
        return isResNet() ? visionWidth * 32 : visionWidth;
    }

    public int grid() {
        return imageSize / patchSize;
    }

    public int visionTokens() {
        return grid() * grid() + 1;
    }

    public ClipConfig withArchitecture(String name) {
        return new ClipConfig(name, visionWidth, visionLayers, visionHeads, patchSize, imageSize, textWidth, textLayers,
                textHeads, contextLength, vocabSize, embedDim, activation, imageMean, imageStd, layerNormEps, logitScale, resnetLayers);
    }

    /** The same shape with another text vocabulary (a token embedding of {@code vocab} rows). */
    public ClipConfig withVocabSize(int vocab) {
        return new ClipConfig(architecture, visionWidth, visionLayers, visionHeads, patchSize, imageSize, textWidth, textLayers,
                textHeads, contextLength, vocab, embedDim, activation, imageMean, imageStd, layerNormEps, logitScale, resnetLayers);
    }

    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("architecture", architecture);
        m.put("vision.width", Integer.toString(visionWidth));
        // a ResNet's blocks per stage, as open_clip's vision_cfg.layers lists them ("3,4,6,3")
        m.put("vision.layers", isResNet() ? ints(resnetLayers) : Integer.toString(visionLayers));
        m.put("vision.heads", Integer.toString(visionHeads));
        m.put("vision.patch_size", Integer.toString(patchSize));
        m.put("vision.image_size", Integer.toString(imageSize));
        m.put("text.width", Integer.toString(textWidth));
        m.put("text.layers", Integer.toString(textLayers));
        m.put("text.heads", Integer.toString(textHeads));
        m.put("text.context_length", Integer.toString(contextLength));
        m.put("text.vocab_size", Integer.toString(vocabSize));
        m.put("embed_dim", Integer.toString(embedDim));
        m.put("activation", activation.key);
        m.put("image_mean", floats(imageMean));
        m.put("image_std", floats(imageStd));
        m.put("layer_norm_eps", Float.toString(layerNormEps));
        m.put("logit_scale", Float.toString(logitScale));
        return m;
    }

    private static String ints(int[] v) {
        return String.join(",", java.util.Arrays.stream(v).mapToObj(Integer::toString).toList());
    }

    private static String floats(float[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) b.append(i > 0 ? "," : "").append(v[i]);
        return b.toString();
    }

    public static ClipConfig fromMetadata(Map<String, String> m) {
        try {
            String layers = req(m, "vision.layers");
            int[] stages = layers.contains(",") ? java.util.Arrays.stream(layers.split(",", 5)).mapToInt(v -> Integer.parseInt(v.strip())).toArray()
                    : new int[0];
            long blocks = java.util.Arrays.stream(stages).asLongStream().sum();
            return new ClipConfig(req(m, "architecture"),
                    num(m, "vision.width"), stages.length > 0 ? (int) Math.min(blocks, Integer.MAX_VALUE) : num(m, "vision.layers"), num(m, "vision.heads"),
                    num(m, "vision.patch_size"), num(m, "vision.image_size"),
                    num(m, "text.width"), num(m, "text.layers"), num(m, "text.heads"),
                    num(m, "text.context_length"), num(m, "text.vocab_size"), num(m, "embed_dim"),
                    Activation.parse(req(m, "activation")), vec(m, "image_mean"), vec(m, "image_std"),
                    Float.parseFloat(req(m, "layer_norm_eps")), Float.parseFloat(req(m, "logit_scale")), stages);
        } catch (NumberFormatException e) {
            throw new ClipException("model file metadata has a bad number: " + e.getMessage());
        }
    }

    private static String req(Map<String, String> m, String k) {
        String v = m.get(k);
        if (v == null) throw new ClipException("model file metadata lacks '" + k + "'");
        return v;
    }

    private static int num(Map<String, String> m, String k) {
        return Integer.parseInt(req(m, k));
    }

    private static float[] vec(Map<String, String> m, String k) {
        String[] p = req(m, k).split(",");
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) v[i] = Float.parseFloat(p[i].trim());
        return v;
    }

    @Override
    public String toString() {
        String vision = isResNet() ? "resnet " + ints(resnetLayers) + " w" + visionWidth + " h" + visionHeads
                : visionWidth + "x" + visionLayers + " h" + visionHeads + " p" + patchSize;
        return architecture + " (vision " + vision + " r"
                + imageSize + ", text " + textWidth + "x" + textLayers + " h" + textHeads + ", embed " + embedDim + ", "
                + activation.key + ", mean " + Arrays.toString(imageMean) + ")";
    }
}
