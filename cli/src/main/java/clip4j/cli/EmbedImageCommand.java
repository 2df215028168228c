package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "embed-image", header = "Image embeddings of files, folders or lists (JSON lines).",
        description = {"Image embeddings: one JSON line {\"image\": PATH, \"embedding\": [E floats]} per image on stdout, "
                + "L2-normalised, in input order, printed batch by batch as they are computed. Images are preprocessed "
                + "exactly as CLIP's Python code does with Pillow (resize, centre crop, RGB, normalise). Reads PNG, JPEG "
                + "(also CMYK), BMP, GIF, TIFF and WebP."},
        footer = {"", "Exit codes: 0 all embedded, 1 error, 2 bad usage, 3 some inputs skipped (--skip-bad).",
                "", "Examples:", "  clip4j embed-image --model m.safetensors cat.jpg dog.png",
                "  clip4j embed-image --model m.safetensors --errors bad.jsonl pics/ >out.jsonl",
                "  find /data -name '*.jpg' > list.txt",
                "  clip4j embed-image --model m.safetensors @list.txt"})
final class EmbedImageCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Mixin
    BatchOptions batch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        List<Path> images = batch.images();
        BatchOptions failures = batch;
        try (failures; Backend be = opts.backend(); ClipModel model = opts.load(be);
             Progress progress = Progress.start("embedding images", "img", images.size(), common.quiet)) {
            ImageStream.embed(model, images, failures, progress, (image, embedding) -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("image", image.toString());
                r.put("embedding", embedding);
                Output.jsonLine(r);
            });
        }
        return batch.exitCode(images.size());
    }
}
