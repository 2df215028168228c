package clip4j.cli;

import clip4j.ClipException;
import clip4j.convert.MetaCheckpoints;
import clip4j.fewshot.Method;
import clip4j.fewshot.Methods;
import clip4j.fewshot.TipSearch;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** How the few-shot methods fit (fewshot and adapt): Tip-Adapter's α/β, the training epochs, the augmentation passes. */
final class MethodOptions {
    @Option(names = "--alpha", paramLabel = "A", description = "Tip-Adapter alpha (with --beta) instead of the search")
    Double alpha;

    @Option(names = "--beta", paramLabel = "B", description = "Tip-Adapter beta (with --alpha)")
    Double beta;

    @Option(names = "--search", description = "search alpha/beta on validation (the default when --alpha/--beta are absent)")
    boolean search;

    @Option(names = "--search-scale", paramLabel = "S", split = ",", defaultValue = "12,10", description = "S_beta,S_alpha of the 200x20 grid")
    double[] searchScale;

    @Option(names = "--augment-epochs", paramLabel = "N", defaultValue = "10", description = "augmentation passes averaged into the cache (0 = plain preprocessing)")
    int augmentEpochs;

    @Option(names = "--tip-f-epochs", paramLabel = "N", defaultValue = "20", description = "Tip-Adapter-F training epochs (best epoch chosen on validation)")
    int tipFEpochs;

    @Option(names = "--clip-adapter-epochs", paramLabel = "N", defaultValue = "200", description = "CLIP-Adapter training epochs (best epoch chosen on validation)")
    int clipAdapterEpochs;

    @Option(names = "--clip-adapter-ratio", paramLabel = "R", defaultValue = "0.2", description = "CLIP-Adapter residual ratio r")
    double clipAdapterRatio;

    @Option(names = "--meta-epochs", paramLabel = "N", defaultValue = "5", description = "Meta-Adapter training epochs when no --meta-checkpoint is given")
    int metaEpochs;

    @Option(names = "--meta-checkpoint", paramLabel = "FILE", description = "trained Meta-Adapter (torch.save state dict or safetensors); applied online")
    Path metaCheckpoint;

    /** The methods' knobs, checked. */
    Methods.Options options() {
        if ((alpha == null) != (beta == null)) throw new ClipException("--alpha and --beta go together");
        if (alpha != null && search) throw new ClipException("--alpha/--beta and --search exclude each other");
        if (augmentEpochs < 0) throw new ClipException("--augment-epochs must be 0 or more");
        return new Methods.Options(alpha, beta, TipSearch.Grid.of(searchScale[0], searchScale[1], 200, 20),
                tipFEpochs, clipAdapterEpochs, clipAdapterRatio, metaEpochs,
                metaCheckpoint == null ? null : MetaCheckpoints.load(metaCheckpoint));
    }

    /** The settings of the methods that run, for a report. */
    void describe(List<Method> ms, Map<String, Object> s) {
        if (ms.stream().anyMatch(m -> m != Method.ZERO_SHOT)) s.put("augment_epochs", augmentEpochs);
        if (ms.contains(Method.TIP) || ms.contains(Method.TIP_F)) {
            s.put("alpha_beta", alpha == null ? "searched on validation, grid 200x20 up to " + Arrays.toString(searchScale) : alpha + "," + beta);
        }
        if (ms.contains(Method.TIP_F)) s.put("tip_f_epochs", tipFEpochs);
        if (ms.contains(Method.CLIP_ADAPTER)) s.put("clip_adapter", "epochs " + clipAdapterEpochs + ", ratio " + clipAdapterRatio);
        if (ms.contains(Method.META)) s.put("meta", metaCheckpoint == null ? "trained here, " + metaEpochs + " epochs" : "checkpoint " + metaCheckpoint);
    }
}
