package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed-image", description = "L2-normalised image embeddings as JSON lines {\"image\", \"embedding\"}.")
final class EmbedImageCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Parameters(arity = "1..*", paramLabel = "IMAGE")
    List<Path> images;

    @Override
    public Integer call() {
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            for (int s = 0; s < images.size(); s += model.imageBatch()) {
                List<Path> chunk = images.subList(s, Math.min(images.size(), s + model.imageBatch()));
                float[][] emb = model.encodeImages(chunk);
                for (int i = 0; i < chunk.size(); i++) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("image", chunk.get(i).toString());
                    r.put("embedding", emb[i]);
                    Output.jsonLine(r);
                }
            }
        }
        return 0;
    }
}
