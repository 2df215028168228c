package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.fewshot.ZeroShotClassifier;
import clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "classify", description = "Zero-shot classification: JSON lines {\"image\", \"label\", \"probs\", \"logits\"}, labels in the given order.")
final class ClassifyCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--labels", required = true, description = "comma-separated class names")
    String labels;

    @Option(names = "--template", defaultValue = "a photo of a {}.", description = "prompt template, {} = label")
    String template;

    @Parameters(arity = "1..*", paramLabel = "IMAGE")
    List<Path> images;

    @Override
    public Integer call() {
        List<String> names = Arrays.stream(labels.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (names.isEmpty()) throw new ClipException("--labels is empty");
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            ZeroShotClassifier zs = ZeroShotClassifier.build(model, names, List.of(template));
            float[][] emb = model.encodeImages(images);
            for (int i = 0; i < images.size(); i++) {
                float[] logits = zs.logits(emb[i]);
                float[] probs = ZeroShotClassifier.probabilities(logits);
                int best = 0;
                for (int c = 1; c < probs.length; c++) if (probs[c] > probs[best]) best = c;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("image", images.get(i).toString());
                r.put("label", names.get(best));
                r.put("probs", probs);
                r.put("logits", logits);
                Output.jsonLine(r);
            }
        }
        return 0;
    }
}
