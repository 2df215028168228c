package clip4j.convert.torch;

import clip4j.ClipException;
import clip4j.convert.pickle.Globals;
import clip4j.convert.pickle.Unpickler;
import clip4j.io.DType;
import clip4j.io.Tensor;
import clip4j.model.ModelFileWriter.Source;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Tensors of a torch.save zip archive or a TorchScript archive (what PyTorch torch/serialization.py {@code _load} and
 * torch.jit.load read; docs/checkpoints.md#torchsave-archives): the pickle in
 * {@code <prefix>/data.pkl} read through the allow-list {@link Unpickler}, storages from {@code <prefix>/data/<key>},
 * strides honoured. A state dict (optionally under "state_dict") gives its names; a TorchScript module tree is
 * walked, joining attribute names with ".". Every record is read with a bound the format gives (a storage holds
 * exactly numel × element size bytes, as its persistent id says; the pickle at most {@link #MAX_PICKLE} bytes), never
 * trusting the archive's declared sizes, and its CRC-32 is checked.
 */
public final class TorchCheckpoint {
    /** data.pkl holds names and tensor records only: a few MB for the largest CLIP. */
    static final int MAX_PICKLE = 64 << 20;

    private TorchCheckpoint() {
    }

    /** The file's tensors by name, as float views, and whether it was a TorchScript archive. */
    public record Contents(Map<String, Source> tensors, boolean torchScript) {
    }

    public static boolean isZip(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    public static boolean isLegacy(byte[] head) {
        return head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] == 0x02;
    }

    public static Contents read(Path path) {
        try {
            ZipLayout.check(path);
        } catch (IOException e) {
            throw new ClipException("cannot read " + path + ": " + e.getMessage(), e);
        }
        try (ZipFile zip = new ZipFile(path.toFile())) {
            String prefix = null;
            boolean script = false;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String n = en.nextElement().getName();
                if (n.endsWith("/data.pkl") && (prefix == null || n.length() < prefix.length() + 8)) {
                    prefix = n.substring(0, n.length() - "data.pkl".length());
                }
                if (n.endsWith("/constants.pkl") || n.contains("/code/")) script = true;
            }
            if (prefix == null) throw new ClipException(path + ": a zip file without data.pkl is not a torch checkpoint");
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null && !new String(readEntry(zip, order, 16, false)).trim().equals("little")) {
                throw new ClipException(path + ": big-endian torch files are not supported");
            }
            Object root = Unpickler.load(readEntry(zip, zip.getEntry(prefix + "data.pkl"), MAX_PICKLE, false), new Globals());
            Map<String, Globals.TensorRef> refs = new LinkedHashMap<>();
            collect(root, "", refs, 0, new int[]{0});
            if (refs.isEmpty()) throw new ClipException(path + ": no tensors found");
            Map<String, byte[]> storages = new HashMap<>();
            Map<String, Source> out = new LinkedHashMap<>();
            for (Map.Entry<String, Globals.TensorRef> e : refs.entrySet()) {
                Globals.TensorRef t = e.getValue();
                byte[] data = storages.get(t.storage().key());
                if (data == null) {
                    ZipEntry se = zip.getEntry(prefix + "data/" + t.storage().key());
                    if (se == null) throw new ClipException(path + ": storage " + t.storage().key() + " is missing (truncated file?)");
                    if (t.storage().numel() > (Integer.MAX_VALUE - 8) / t.storage().dtype().bytes) {
                        throw new ClipException(path + ": storage " + t.storage().key() + " is too large");
                    }
                    long bytes = t.storage().numel() * t.storage().dtype().bytes;
                    data = readEntry(zip, se, (int) bytes, true);
                    storages.put(t.storage().key(), data);
                }
                out.put(e.getKey(), view(e.getKey(), t, data));
            }
            return new Contents(out, script);
        } catch (ZipException e) {
            throw new ClipException(path + ": corrupt or truncated zip archive (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new ClipException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * A record's bytes: at most {@code max} (exactly {@code max} when {@code exact}), whatever sizes the archive
     * declares (a deflated record can inflate without end), with its CRC-32 checked.
     */
    static byte[] readEntry(ZipFile zip, ZipEntry e, int max, boolean exact) throws IOException {
        byte[] b;
        try (InputStream in = zip.getInputStream(e)) {
            b = in.readNBytes(max);
            if (in.read() >= 0) throw new ClipException("archive record " + e.getName() + " holds more than the " + max + " bytes it may");
        }
        if (exact && b.length != max) {
            throw new ClipException("archive record " + e.getName() + " holds " + b.length + " bytes, not " + max + " (truncated or corrupt file)");
        }
        CRC32 crc = new CRC32();
        crc.update(b);
        if (e.getCrc() != -1 && crc.getValue() != e.getCrc()) throw new ClipException("archive record " + e.getName() + " fails its CRC-32 check");
        return b;
    }

    /** Nodes a module tree may have: far above any CLIP (a TorchScript ViT-L/14 has a few thousand). */
    static final int MAX_NODES = 1 << 20, MAX_NAME = 1024;

    /**
     * Tensor names by walking the tree. A pickle can share one node under many keys (a diamond per level doubles the
     * paths), so the walk counts every node it visits and stops at {@link #MAX_NODES}.
     */
    private static void collect(Object node, String prefix, Map<String, Globals.TensorRef> out, int depth, int[] visited) {
        if (depth > 64) throw new ClipException("module tree too deep");
        if (++visited[0] > MAX_NODES) throw new ClipException("module tree too large (over " + MAX_NODES + " nodes)");
        if (prefix.length() > MAX_NAME) throw new ClipException("tensor name longer than " + MAX_NAME + " characters");
        switch (node) {
            case Globals.TensorRef t -> out.put(prefix, t);
            case Globals.ScriptObject o -> o.attributes().forEach((k, v) -> collect(v, join(prefix, k), out, depth + 1, visited));
            case Map<?, ?> m -> {
                Object sd = m.get("state_dict");
                if (depth == 0 && sd instanceof Map<?, ?>) {
                    collect(sd, prefix, out, depth + 1, visited);
                } else {
                    m.forEach((k, v) -> collect(v, join(prefix, k), out, depth + 1, visited));
                }
            }
            case null, default -> {
                // ints, bools, strings, optimizer state: not weights
            }
        }
    }

    private static String join(String prefix, Object key) {
        String k = key instanceof String str ? str : key instanceof Long || key instanceof Boolean ? key.toString() : "?";
        return prefix.isEmpty() ? k : prefix + "." + k;
    }

    /** A float view of a strided tensor over its storage bytes, bounds-checked once here. */
    static Source view(String name, Globals.TensorRef t, byte[] data) {
        DType dt = t.storage().dtype();
        long elems = data.length / dt.bytes;
        long[] size = t.size(), stride = t.stride();
        if (size.length != stride.length) throw new ClipException("tensor '" + name + "': size and stride ranks differ");
        long maxIndex = t.offset();
        try {
            for (int d = 0; d < size.length; d++) {
                if (size[d] < 0 || stride[d] < 0) throw new ClipException("tensor '" + name + "': negative size or stride");
                if (size[d] == 0) maxIndex = -1;
                else if (maxIndex >= 0) maxIndex = Math.addExact(maxIndex, Math.multiplyExact(size[d] - 1, stride[d]));
            }
            long numel = 1;
            for (long sz : size) numel = Math.multiplyExact(numel, sz); // consumers count elements in a long
        } catch (ArithmeticException e) {
            throw new ClipException("tensor '" + name + "': size or stride out of range (corrupt file)");
        }
        if (t.offset() < 0 || maxIndex >= elems) {
            throw new ClipException("tensor '" + name + "' reaches outside its storage (truncated or corrupt file)");
        }
        Tensor flat = new Tensor(name, dt, new long[]{elems}, MemorySegment.ofArray(data).asSlice(0, elems * dt.bytes));
        boolean contiguous = true;
        long expect = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expect) contiguous = false;
            expect *= size[d];
        }
        long off = t.offset();
        if (contiguous) return new Source(size.clone(), i -> flat.getFloat(off + i));
        return new Source(size.clone(), i -> {
            long idx = off;
            long rest = i;
            for (int d = size.length - 1; d >= 0; d--) {
                idx += (rest % size[d]) * stride[d];
                rest /= size[d];
            }
            return flat.getFloat(idx);
        });
    }

    public static byte[] head(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return in.readNBytes(16);
        }
    }
}
