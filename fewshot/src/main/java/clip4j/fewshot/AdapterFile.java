package clip4j.fewshot;

import clip4j.ClipException;
import clip4j.io.DType;
import clip4j.io.Safetensors;
import clip4j.io.SafetensorsWriter;
import clip4j.io.Tensor;
import clip4j.util.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fitted few-shot classifier as one safetensors file, deployable without its training data: the class names, the
 * SHA-256 of the model file whose features it classifies, the method, and what the method fitted: the class weights
 * (zero-shot's, or Meta-Adapter's refined ones), Tip-Adapter's cache (keys, their labels) with its searched α and β
 * (Tip-Adapter-F: its trained keys), CLIP-Adapter's two matrices and ratio. Numbers that are not tensors are kept in
 * the metadata as Java writes doubles (exact round trip). Read as untrusted: every shape, label and number checked.
 */
public record AdapterFile(Method method, List<String> classNames, String modelSha256, Classifier classifier, Map<String, String> info) {
    public static final String FORMAT = "clip4j-adapter/1";
    static final String WEIGHTS = "class_weights", KEYS = "cache_keys", LABELS = "cache_labels", W1 = "adapter.w1", W2 = "adapter.w2";

    public AdapterFile {
        classNames = List.copyOf(classNames);
        info = Map.copyOf(info);
        if (classNames.size() != classifier.classWeights().length) {
            throw new ClipException(classNames.size() + " class names for " + classifier.classWeights().length + " classes");
        }
    }

    public int dim() {
        return classifier.classWeights()[0].length;
    }

    public void write(Path target) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", FORMAT).metadata("method", method.key)
                .metadata("class_names", Json.write(classNames)).metadata("model_sha256", modelSha256);
        info.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> w.metadata("info." + e.getKey(), e.getValue()));
        add(w, WEIGHTS, classifier.classWeights());
        switch (classifier) {
            case Classifier.ZeroShot z -> {
            }
            case Classifier.Tip t -> {
                add(w, KEYS, t.keys());
                float[] labels = new float[t.keyLabels().length];
                for (int i = 0; i < labels.length; i++) labels[i] = t.keyLabels()[i];
                w.add(LABELS, DType.F32, new long[]{labels.length}, labels);
                w.metadata("alpha", Double.toString(t.alpha())).metadata("beta", Double.toString(t.beta()));
            }
            case Classifier.Adapter a -> {
                float[][] p = a.adapter().parameters();
                w.add(W1, DType.F32, new long[]{a.adapter().hidden(), a.adapter().dim()}, p[0]);
                w.add(W2, DType.F32, new long[]{a.adapter().dim(), a.adapter().hidden()}, p[1]);
                w.metadata("ratio", Double.toString(a.adapter().ratio()));
            }
        }
        w.write(target);
    }

    private static void add(SafetensorsWriter w, String name, float[][] rows) {
        int d = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * d, d);
        w.add(name, DType.F32, new long[]{rows.length, d}, flat);
    }

    public static AdapterFile read(Path file) {
        try (Safetensors st = Safetensors.open(file)) {
            Map<String, String> meta = st.metadata();
            if (!FORMAT.equals(meta.get("format"))) throw bad(file, "not a clip4j adapter file (format " + FORMAT + ")");
            Method m = Method.parse(required(file, meta, "method"));
            List<String> names = new ArrayList<>();
            if (!(Json.parse(required(file, meta, "class_names")) instanceof List<?> l)) throw bad(file, "class_names is not a list");
            for (Object o : l) {
                if (!(o instanceof String s) || s.isBlank()) throw bad(file, "a class name that is not a non-empty string");
                names.add(s);
            }
            if (names.isEmpty() || new HashSet<>(names).size() != names.size()) throw bad(file, "class names empty or repeated");
            float[][] w = matrix(file, st, WEIGHTS, names.size(), -1);
            int d = w[0].length;
            Classifier c = switch (m) {
                case ZERO_SHOT, META -> new Classifier.ZeroShot(w);
                case TIP, TIP_F -> {
                    float[][] keys = matrix(file, st, KEYS, -1, d);
                    Tensor lt = tensor(file, st, LABELS, keys.length);
                    int[] labels = new int[keys.length];
                    for (int i = 0; i < labels.length; i++) {
                        float v = lt.getFloat(i);
                        if (v != Math.rint(v) || v < 0 || v >= names.size()) throw bad(file, "cache label " + v + " is not a class index");
                        labels[i] = (int) v;
                    }
                    yield new Classifier.Tip(w, keys, labels, number(file, meta, "alpha"), number(file, meta, "beta"));
                }
                case CLIP_ADAPTER -> {
                    int h = Math.max(1, d / 4);
                    float[][] w1 = matrix(file, st, W1, h, d), w2 = matrix(file, st, W2, d, h);
                    double ratio = number(file, meta, "ratio");
                    if (ratio < 0 || ratio > 1) throw bad(file, "ratio " + ratio + " is not in [0, 1]");
                    yield new Classifier.Adapter(w, ClipAdapter.of(d, ratio, flat(w1), flat(w2)));
                }
            };
            Map<String, String> info = new LinkedHashMap<>();
            meta.forEach((k, v) -> {
                if (k.startsWith("info.")) info.put(k.substring(5), v);
            });
            return new AdapterFile(m, names, required(file, meta, "model_sha256"), c, info);
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }
    }

    private static String required(Path file, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) throw bad(file, "no " + key);
        return v;
    }

    private static double number(Path file, Map<String, String> meta, String key) {
        try {
            double v = Double.parseDouble(required(file, meta, key));
            if (!Double.isFinite(v)) throw bad(file, key + " is not finite");
            return v;
        } catch (NumberFormatException e) {
            throw bad(file, key + " is not a number");
        }
    }

    private static Tensor tensor(Path file, Safetensors st, String name, long n) {
        Tensor t = st.tensors().get(name);
        if (t == null) throw bad(file, "no tensor " + name);
        if (t.dtype() != DType.F32 || t.rank() != 1 || t.shape()[0] != n) throw bad(file, name + " is " + t.dtype() + " " + t.shapeString() + ", not F32 [" + n + "]");
        return t;
    }

    /** An F32 [rows, cols] tensor (−1: any, at least 1) of finite values. */
    private static float[][] matrix(Path file, Safetensors st, String name, int rows, int cols) {
        Tensor t = st.tensors().get(name);
        if (t == null) throw bad(file, "no tensor " + name);
        if (t.dtype() != DType.F32 || t.rank() != 2 || rows >= 0 && t.shape()[0] != rows || cols >= 0 && t.shape()[1] != cols
                || t.shape()[0] < 1 || t.shape()[1] < 1 || t.shape()[1] > 65536) {
            throw bad(file, name + " is " + t.dtype() + " " + t.shapeString() + ", not F32 [" + (rows < 0 ? "n" : rows) + ", " + (cols < 0 ? "d" : cols) + "]");
        }
        int r = Math.toIntExact(t.shape()[0]), c = Math.toIntExact(t.shape()[1]);
        float[][] m = new float[r][c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                float v = t.getFloat((long) i * c + j);
                if (!Float.isFinite(v)) throw bad(file, name + " holds a value that is not finite");
                m[i][j] = v;
            }
        }
        return m;
    }

    private static float[] flat(float[][] m) {
        float[] f = new float[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) System.arraycopy(m[i], 0, f, i * m[0].length, m[0].length);
        return f;
    }

    private static ClipException bad(Path file, String why) {
        return new ClipException("bad adapter file " + file + ": " + why);
    }
}
