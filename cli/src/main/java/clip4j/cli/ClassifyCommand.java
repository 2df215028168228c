package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.collection.Index;
import clip4j.collection.MetadataFile;
import clip4j.collection.PredictionsFile;
import clip4j.fewshot.AdapterFile;
import clip4j.io.AtomicFiles;
import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import clip4j.zeroshot.ZeroShotClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "classify", header = "Zero-shot classification of images among given labels (JSON lines).",
        description = {"Zero-shot classification of images among the given labels: one JSON line per image on stdout, "
                + "{\"image\": PATH, \"label\": BEST, \"probs\": {LABEL: p, ...}, \"logits\": {LABEL: logit, ...}}, labels in "
                + "the given order, printed batch by batch. Each label's text embedding is the normalised mean over the "
                + "templates of the normalised prompt embeddings (CLIP's prompt ensembling); logits are 100 x cosine."},
        footer = {"", "Exit codes: 0 all classified, 1 error, 2 bad usage, 3 some inputs skipped (--skip-bad).",
                "", "Examples:", "  clip4j classify --model m.safetensors --labels cat,dog,bird photo.jpg",
                "  clip4j classify --model m.safetensors --labels-file classes.txt \\",
                "      --template \"a photo of a {}.\" --template \"a drawing of a {}.\" \\",
                "      --skip-bad photos/"})
final class ClassifyCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--labels", split = ",", description = "class names, comma-separated")
    List<String> labels;

    @Option(names = "--labels-file", paramLabel = "FILE", description = "class names, one per line (instead of --labels)")
    Path labelsFile;

    @Option(names = "--adapter", paramLabel = "FILE", description = "a few-shot classifier from 'clip4j adapt' (its classes, "
            + "instead of --labels and templates); it must come from this model")
    Path adapter;

    @Option(names = "--index", paramLabel = "DIR", description = "classify every image of an embeddings folder ('clip4j embed') "
            + "from its stored embeddings, instead of image files; needs --output")
    Path index;

    @Option(names = "--output", paramLabel = "FILE", description = "with --index: the Parquet file of row, key, source, label, "
            + "score (the label's probability) and error")
    Path output;

    @Mixin
    TemplateOptions templates;

    @Mixin
    BatchOptions batch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws IOException {
        AdapterFile fitted = adapter == null ? null : AdapterFile.read(adapter);
        if (fitted != null && (labels != null || labelsFile != null)) throw new ClipException("--adapter holds the classes: no --labels with it");
        List<String> names = fitted != null ? fitted.classNames() : names();
        List<String> tpl = templates.templates();
        if (index != null) return classifyIndex(fitted, names, tpl);
        if (output != null) throw new ClipException("--output goes with --index (image files are classified to stdout)");
        List<Path> images = batch.images();
        BatchOptions failures = batch;
        try (failures; Backend be = opts.backend(); ClipModel model = opts.load(be);
             Progress progress = Progress.start("classifying images", "img", images.size(), common.quiet)) {
            if (fitted != null && !fitted.modelSha256().equals(Hashing.sha256(opts.model))) {
                throw new ClipException(adapter + " was fitted on another model's features (" + fitted.info().getOrDefault("architecture", "?")
                        + "), not " + opts.model);
            }
            ZeroShotClassifier zs = fitted != null ? null : ZeroShotClassifier.build(model, names, tpl);
            ImageStream.embed(model, images, failures, progress, (image, embedding) -> {
                float[] logits = zs != null ? zs.logits(embedding) : fitted.classifier().logits(be, new float[][]{embedding})[0];
                float[] probs = ZeroShotClassifier.probabilities(logits);
                int best = 0;
                for (int c = 1; c < probs.length; c++) if (probs[c] > probs[best]) best = c;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("image", image.toString());
                r.put("label", names.get(best));
                r.put("probs", Labelled.byName(names, probs));
                r.put("logits", Labelled.byName(names, logits));
                Output.jsonLine(r);
            });
        }
        return batch.exitCode(images.size());
    }

    /** Every row of an index, from its stored embeddings, to a Parquet file. */
    /** Rows of an index classified together. */
    private static final int BLOCK = 256;

    private int classifyIndex(AdapterFile fitted, List<String> names, List<String> tpl) {
        if (output == null) throw new ClipException("--index needs --output FILE (Parquet)");
        if (batch.given()) throw new ClipException("--index classifies the folder's images: no image arguments with it");
        try (Index idx = Index.open(index, opts.engine.options().threads(), 0); Backend be = opts.backend(); ClipModel model = opts.load(be);
             Progress progress = Progress.start("classifying", "img", idx.size(), common.quiet)) {
            String hash = Hashing.sha256(opts.model);
            if (!hash.equals(idx.modelSha256())) throw new ClipException(index + " was embedded with another model (" + idx.architecture() + "), not " + opts.model);
            if (fitted != null && !fitted.modelSha256().equals(hash)) throw new ClipException(adapter + " was fitted on another model's features, not " + opts.model);
            ZeroShotClassifier zs = fitted != null ? null : ZeroShotClassifier.build(model, names, tpl);
            long[] counts = new long[2];
            AtomicFiles.write(output, tmp -> {
                try (PredictionsFile out = new PredictionsFile(tmp)) {
                    // rows in blocks: an adapter's products run on a block of embeddings at once
                    for (long first = 0; first < idx.size(); first += BLOCK) {
                        int n = (int) Math.min(BLOCK, idx.size() - first);
                        MetadataFile.Row[] items = new MetadataFile.Row[n];
                        List<float[]> vectors = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            items[i] = idx.item(first + i);
                            if (!items[i].ok()) continue;
                            float[] v = new float[idx.dims()];
                            idx.vector(first + i, v);
                            vectors.add(v);
                        }
                        float[][] logits = fitted != null ? fitted.classifier().logits(be, vectors.toArray(float[][]::new))
                                : vectors.stream().map(zs::logits).toArray(float[][]::new);
                        for (int i = 0, j = 0; i < n; i++) {
                            if (!items[i].ok()) {
                                out.add(first + i, items[i], null, 0f);
                                counts[1]++;
                            } else {
                                float[] p = ZeroShotClassifier.probabilities(logits[j++]);
                                int best = 0;
                                for (int c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
                                out.add(first + i, items[i], names.get(best), p[best]);
                                counts[0]++;
                            }
                        }
                        progress.accept(n);
                    }
                }
            });
            Log.info(index + ": " + counts[0] + " images classified, " + counts[1] + " without an embedding (failed when embedded), into " + output);
        }
        return 0;
    }

    private List<String> names() {
        if ((labels == null) == (labelsFile == null)) throw new ClipException("give the class names with --labels or --labels-file (one of them)");
        List<String> raw = labels != null ? labels : InputArgs.texts(List.of("@" + labelsFile));
        List<String> names = raw.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (names.isEmpty()) throw new ClipException("no class names given");
        HashSet<String> seen = new HashSet<>();
        for (String n : names) if (!seen.add(n)) throw new ClipException("class name '" + n + "' is given twice");
        return names;
    }
}
