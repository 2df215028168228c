package clip4j.model;

import clip4j.ClipException;

import java.util.List;

/**
 * Known CLIP shapes (open_clip src/open_clip/model_configs/*.json; docs/forward-pass.md#configurations) by
 * open_clip name. As in open_clip, a bare name means exact GELU
 * (the LAION checkpoints) and a {@code -quickgelu} suffix QuickGELU; OpenAI spellings ("ViT-B/32") mean
 * QuickGELU, as OpenAI's own models (OpenAI's ResNets, "RN50" …, share open_clip's spelling: pass RN50-quickgelu for
 * them). {@code test-tiny} and {@code test-tiny-rn} are small shapes for tests.
 */
public final class Architectures {
    public static final List<String> NAMES = List.of("ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336", "RN50", "RN101",
            "RN50x4", "RN50x16", "RN50x64", "test-tiny", "test-tiny-rn");

    private Architectures() {
    }

    public static ClipConfig byName(String name) {
        boolean openai = name.contains("/");
        String base = name.replace('/', '-').replace("@336px", "-336");
        boolean quick = openai || base.endsWith("-quickgelu");
        if (base.endsWith("-quickgelu")) base = base.substring(0, base.length() - "-quickgelu".length());
        Activation act = quick ? Activation.QUICK_GELU : Activation.GELU;
        ClipConfig c = switch (base) {
            case "ViT-B-32" -> vit(768, 12, 32, 224, 512, 12, 512, act);
            case "ViT-B-16" -> vit(768, 12, 16, 224, 512, 12, 512, act);
            case "ViT-L-14" -> vit(1024, 24, 14, 224, 768, 12, 768, act);
            case "ViT-L-14-336" -> vit(1024, 24, 14, 336, 768, 12, 768, act);
            case "test-tiny" -> vit(128, 2, 8, 32, 64, 2, 64, act);
            // ModifiedResNet: blocks per stage, stem width, resolution, text width and layers, embed dim
            case "RN50" -> resnet(new int[]{3, 4, 6, 3}, 64, 224, 512, 12, 1024, act);
            case "RN101" -> resnet(new int[]{3, 4, 23, 3}, 64, 224, 512, 12, 512, act);
            case "RN50x4" -> resnet(new int[]{4, 6, 10, 6}, 80, 288, 640, 12, 640, act);
            case "RN50x16" -> resnet(new int[]{6, 8, 18, 8}, 96, 384, 768, 12, 768, act);
            case "RN50x64" -> resnet(new int[]{3, 15, 36, 10}, 128, 448, 1024, 12, 1024, act);
            case "test-tiny-rn" -> resnet(new int[]{1, 1, 1, 1}, 8, 64, 64, 2, 64, act);
            default -> throw new ClipException("unknown architecture '" + name + "' (known: " + String.join(", ", NAMES)
                    + ", each also with -quickgelu)");
        };
        return c.withArchitecture(name);
    }

    /** build_model's ResNet: attention-pool heads width·32/64, text heads width/64. */
    private static ClipConfig resnet(int[] layers, int width, int res, int d, int textLayers, int embed, Activation act) {
        return ClipConfig.resnet("", layers, width, width * 32 / 64, res, d, textLayers, Math.max(1, d / 64), embed, act);
    }

    private static ClipConfig vit(int w, int layers, int patch, int res, int d, int textLayers, int embed, Activation act) {
        return new ClipConfig("", w, layers, w / 64, patch, res, d, textLayers, d / 64, 77, 49408, embed, act,
                ClipConfig.OPENAI_MEAN, ClipConfig.OPENAI_STD, 1e-5f, (float) Math.log(100.0));
    }
}
