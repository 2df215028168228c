package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.model.ClipModel;
import clip4j.text.ClipTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed-text", description = "L2-normalised text embeddings as JSON lines {\"text\", \"tokens\", \"embedding\"}.")
final class EmbedTextCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Parameters(arity = "1..*", paramLabel = "TEXT")
    List<String> texts;

    @Override
    public Integer call() {
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            float[][] emb = model.encodeTexts(texts);
            for (int i = 0; i < texts.size(); i++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("text", texts.get(i));
                r.put("tokens", ClipTokenizer.trimPadding(model.tokenize(texts.get(i))));
                r.put("embedding", emb[i]);
                Output.jsonLine(r);
            }
        }
        return 0;
    }
}
