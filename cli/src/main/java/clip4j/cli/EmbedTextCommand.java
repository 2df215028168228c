package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.model.ClipModel;
import clip4j.text.ClipTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed-text", header = "Text embeddings (JSON lines).",
        description = {"Text embeddings: one JSON line {\"text\", \"tokens\": [ids, SOT to EOT], \"embedding\": [E floats]} per "
                + "text on stdout, L2-normalised, in input order, printed as each batch of up to 64 is computed. Texts "
                + "are tokenised exactly as CLIP's simple_tokenizer does; a text longer than the context (77 tokens) is "
                + "cut, with one warning, and its last token forced to end-of-text, as clip.tokenize(truncate=True)."},
        footer = {"", "Examples:", "  clip4j embed-text --model m.safetensors \"a photo of a cat\" \"a dog\"",
                "  clip4j embed-text --model m.safetensors --file captions.txt > text.jsonl",
                "  cut -f2 data.tsv | clip4j embed-text --model m.safetensors -"})
final class EmbedTextCommand implements Callable<Integer> {
    private static final int BATCH = 64;

    @Mixin
    ModelOptions opts;

    @Option(names = "--file", paramLabel = "FILE", description = "read one text per line from FILE (blank lines skipped); - for stdin")
    String file;

    @Mixin
    CommonOptions common;

    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "texts; @FILE reads one text per line from FILE, - from stdin")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        List<String> all = new ArrayList<>(args);
        if (file != null) all.add(file.equals("-") ? "-" : "@" + file);
        if (all.isEmpty()) throw new ClipException("no text given: pass texts, --file FILE, or - to read stdin");
        List<String> texts = InputArgs.texts(all);
        try (Backend be = opts.backend(); ClipModel model = opts.load(be);
             Progress progress = Progress.start("embedding texts", "text", texts.size(), common.quiet)) {
            ClipTokenizer tok = model.tokenizer();
            for (int s = 0; s < texts.size(); s += BATCH) {
                List<String> chunk = texts.subList(s, Math.min(texts.size(), s + BATCH));
                int[][] ids = new int[chunk.size()][];
                for (int i = 0; i < ids.length; i++) ids[i] = model.tokenize(chunk.get(i));
                float[][] f = model.encodeTokens(ids);
                for (int i = 0; i < ids.length; i++) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("text", chunk.get(i));
                    r.put("tokens", tok.trimPadding(ids[i]));
                    r.put("embedding", f[i]);
                    Output.jsonLine(r);
                }
                progress.accept(chunk.size());
            }
        }
        return 0;
    }
}
