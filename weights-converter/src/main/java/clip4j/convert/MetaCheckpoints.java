package clip4j.convert;

import clip4j.ClipException;
import clip4j.convert.torch.TorchCheckpoint;
import clip4j.convert.torch.TorchSaveWriter;
import clip4j.fewshot.MetaAdapter;
import clip4j.io.DType;
import clip4j.io.Safetensors;
import clip4j.io.SafetensorsWriter;
import clip4j.io.Tensor;
import clip4j.model.ModelFileWriter.Source;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Meta-Adapter checkpoints in the official layout (upstream Meta-Adapter main.py {@code MetaAdapter};
 * docs/checkpoints.md#meta-adapter-checkpoints): q_proj.weight [D, D], k_proj.weight [D, D],
 * alpha_proj.weight [1, D], alpha_proj.bias [1], as a torch.save state dict (.pt/.pth, f16 or f32, as the official
 * code writes) or as safetensors (.safetensors). Non-finite weights are rejected.
 */
public final class MetaCheckpoints {
    private static final String[] NAMES = {"q_proj.weight", "k_proj.weight", "alpha_proj.weight", "alpha_proj.bias"};

    private MetaCheckpoints() {
    }

    public static MetaAdapter load(Path file) {
        Map<String, Source> t = new LinkedHashMap<>();
        try {
            if (Safetensors.sniff(file)) {
                Safetensors st = Safetensors.open(file);
                for (Tensor x : st.tensors().values()) t.put(x.name(), new Source(x.shape(), x::getFloat));
            } else if (TorchCheckpoint.isZip(TorchCheckpoint.head(file))) {
                t.putAll(TorchCheckpoint.read(file).tensors());
            } else {
                throw new ClipException(file + " is neither a torch.save file nor safetensors");
            }
        } catch (IOException e) {
            throw new ClipException("cannot read " + file + ": " + e.getMessage(), e);
        }
        for (String k : t.keySet()) {
            boolean known = false;
            for (String n : NAMES) known |= n.equals(k.startsWith("module.") ? k.substring(7) : k);
            if (!known) throw new ClipException(file + ": unknown Meta-Adapter tensor '" + k + "'");
        }
        Source q = get(t, file, "q_proj.weight");
        int d = (int) q.shape()[0];
        float[][] w = new float[4][];
        long[][] shapes = {{d, d}, {d, d}, {1, d}, {1}};
        for (int i = 0; i < 4; i++) {
            Source s = get(t, file, NAMES[i]);
            if (!java.util.Arrays.equals(s.shape(), shapes[i])) {
                throw new ClipException(file + ": " + NAMES[i] + " has shape " + java.util.Arrays.toString(s.shape()));
            }
            w[i] = new float[(int) Tensor.numel(shapes[i])];
            for (int j = 0; j < w[i].length; j++) {
                w[i][j] = s.values().get(j);
                if (!Float.isFinite(w[i][j])) throw new ClipException(file + ": " + NAMES[i] + " contains NaN or Inf");
            }
        }
        return new MetaAdapter(d, w[0], w[1], w[2], w[3]);
    }

    private static Source get(Map<String, Source> t, Path file, String name) {
        Source s = t.containsKey(name) ? t.get(name) : t.get("module." + name);
        if (s == null) throw new ClipException(file + " lacks '" + name + "'");
        return s;
    }

    public static void save(MetaAdapter m, Path file) {
        float[][] p = m.parameters();
        int d = m.dim();
        long[][] shapes = {{d, d}, {d, d}, {1, d}, {1}};
        if (file.getFileName().toString().endsWith(".safetensors")) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            for (int i = 0; i < 4; i++) w.add(NAMES[i], DType.F32, shapes[i], p[i]);
            w.write(file);
        } else {
            Map<String, TorchSaveWriter.Entry> e = new LinkedHashMap<>();
            for (int i = 0; i < 4; i++) e.put(NAMES[i], new TorchSaveWriter.Entry(shapes[i], p[i]));
            TorchSaveWriter.write(file, e, DType.F32);
        }
    }
}
