package clip4j.backend;

import clip4j.ClipException;
import clip4j.io.DType;
import clip4j.io.Hashing;
import clip4j.io.Safetensors;
import clip4j.io.SafetensorsWriter;
import clip4j.io.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The weight layout of the CPU GEMM: a weight W [n, k] as {@code ceil(n/16)} panels of 16 columns of the product,
 * each K-major (element (t, c) of panel q is W[16q + c, t], at (q·k + t)·16 + c; zero past n), in the weight's own
 * dtype. The layout does not depend on the vector width or the micro-tile (a tile's vectors are 4, 8 or 16 columns
 * inside one panel), so one packed copy serves every plan.
 * <p>
 * A model's packed weights are kept in a panel file: a safetensors file in the backend's cache directory, one tensor
 * [ceil(n/16), k, 16] per weight under the weight's name, made once and memory-mapped after that, so the weights are
 * never copied onto the heap and a process that runs one image reads only the pages it needs. The file is named by
 * the model file's path and by its identity (path, size, time), so that a changed model replaces its old one.
 */
final class WeightPanels {
    static final int COLS = 16;
    private static final String KIND_KEY = "clip4j.panels", KIND = "16 columns, K-major, v1", SOURCE_KEY = "source";
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final System.Logger LOG = System.getLogger("clip4j");

    private WeightPanels() {
    }

    static int panels(int n) {
        return (n + COLS - 1) / COLS;
    }

    /** The packed shape of an [n, k] weight. */
    static long[] shape(int n, int k) {
        return new long[]{panels(n), k, COLS};
    }

    /** Element i of the packed form of w [n, k] (any float dtype), as a float. */
    static float element(Tensor w, int n, int k, long i) {
        long q = i / ((long) k * COLS), t = i / COLS % k, c = i % COLS;
        long j = q * COLS + c;
        return j < n ? w.getFloat(j * k + t) : 0f;
    }

    /** Packs w [n, k] into dst (panels in w's dtype: f32 as floats, f16/bf16 keeping their 16 bits). */
    static void pack(Tensor w, int n, int k, MemorySegment dst) {
        MemorySegment src = w.data();
        boolean f32 = w.dtype() == DType.F32;
        for (int j = 0; j < n; j++) {
            long to = (long) (j / COLS) * k * COLS + j % COLS, from = (long) j * k;
            for (int t = 0; t < k; t++, to += COLS) {
                if (f32) dst.setAtIndex(F32, to, src.getAtIndex(F32, from + t));
                else dst.setAtIndex(I16, to, src.getAtIndex(I16, from + t));
            }
        }
    }

    /** A weight's view as the GEMM uses it: [n, k] where a stored tensor has more dimensions (the patch embedding). */
    record Matrix(Tensor tensor, int n, int k) {
        static Matrix of(Tensor w) {
            int n = Math.toIntExact(w.shape()[0]);
            return new Matrix(w, n, Math.toIntExact(w.numel() / Math.max(1, n)));
        }
    }

    /**
     * The panel file of a model's weights in dir, made first when missing or stale: its tensors by weight name, each
     * mapped from the file (kept open until the returned file is closed). source identifies the model file's content
     * (path, size, modification time); a file made for another source or layout is made again. Null when the file
     * cannot be written (a full disk, a read-only cache): the backend then packs in memory.
     */
    static Safetensors openOrCreate(Path dir, String source, List<Matrix> weights) {
        // named by the model's place and by its content, so that a changed model replaces its old panel file
        String place = Hashing.sha256(source.substring(0, Math.max(0, source.indexOf('|')))).substring(0, 16) + "-";
        Path file = dir.resolve(place + Hashing.sha256(KIND + "\n" + source).substring(0, 16) + ".safetensors");
        if (Files.isRegularFile(file)) {
            Safetensors st = null;
            try {
                st = Safetensors.open(file);
                if (matches(st, source, weights)) return st;
            } catch (ClipException e) {
                LOG.log(System.Logger.Level.DEBUG, "panel file " + file + " unreadable, made again: " + e.getMessage());
            }
            if (st != null) st.close();
        }
        removeOthers(dir, place, file);
        long started = System.nanoTime();
        SafetensorsWriter out = new SafetensorsWriter().metadata(KIND_KEY, KIND).metadata(SOURCE_KEY, source);
        for (Matrix m : weights) {
            Tensor w = m.tensor();
            out.add(w.name(), w.dtype(), shape(m.n(), m.k()), i -> element(w, m.n(), m.k(), i));
        }
        try {
            out.write(file);
        } catch (ClipException e) {
            LOG.log(System.Logger.Level.INFO, "weights packed in memory, not kept: " + e.getMessage());
            return null;
        }
        LOG.log(System.Logger.Level.DEBUG, String.format("packed the weights for the CPU GEMM once in %.1f s: %s",
                (System.nanoTime() - started) / 1e9, file));
        Safetensors st = Safetensors.open(file);
        if (!matches(st, source, weights)) {
            st.close();
            throw new ClipException("panel file " + file + " does not hold what was just written to it");
        }
        return st;
    }

    /**
     * Deletes the panel files of earlier contents of the same model file (named from place) and those of model files
     * that are gone, returning the bytes freed (best effort: a file another process has mapped stays readable to it
     * until it unmaps it).
     */
    static long removeOthers(Path dir, String place, Path keep) {
        if (!Files.isDirectory(dir)) return 0;
        long freed = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".safetensors") && !f.equals(keep)).toList()) {
                if ((place != null && f.getFileName().toString().startsWith(place)) || modelGone(f)) {
                    long size = Files.size(f);
                    Files.deleteIfExists(f);
                    freed += size;
                    LOG.log(System.Logger.Level.DEBUG, "removed the panel file of a model file that changed or is gone: " + f);
                }
            }
        } catch (java.io.IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot clean " + dir + ": " + e.getMessage());
        }
        return freed;
    }

    /** Whether the model file a panel file was made from no longer exists (an unreadable panel file counts as gone). */
    private static boolean modelGone(Path panelFile) {
        try (Safetensors st = Safetensors.open(panelFile)) {
            String source = st.metadata().getOrDefault(SOURCE_KEY, "");
            return source.indexOf('|') <= 0 || !Files.exists(Path.of(source.substring(0, source.indexOf('|'))));
        } catch (RuntimeException e) {
            return true;
        }
    }

    private static boolean matches(Safetensors st, String source, List<Matrix> weights) {
        if (!KIND.equals(st.metadata().get(KIND_KEY)) || !source.equals(st.metadata().get(SOURCE_KEY))) return false;
        Map<String, Tensor> have = new HashMap<>(st.tensors());
        for (Matrix m : weights) {
            Tensor t = have.get(m.tensor().name());
            if (t == null || t.dtype() != m.tensor().dtype() || !t.hasShape(shape(m.n(), m.k()))) return false;
        }
        return true;
    }
}
