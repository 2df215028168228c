package clip4j.io;

import clip4j.ClipException;
import clip4j.util.Json;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A read-only, memory-mapped safetensors file (the huggingface/safetensors format; docs/model-file.md#layout): u64 LE
 * header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {str: str}}, then the data buffer.
 * Every field is validated before use; tensors are zero-copy slices of the mapping.
 */
public final class Safetensors implements AutoCloseable {
    /** The reference reader's cap on the header size. */
    public static final long MAX_HEADER = 100L << 20;
    /** Names of the alignment fillers our writer inserts; readers skip them. */
    public static final String PAD_PREFIX = "__pad__.";

    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private Safetensors(Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static Safetensors open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return parse(arena, file, path.getFileName().toString());
        } catch (IOException e) {
            arena.close();
            throw new ClipException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** True when the first bytes look like safetensors: a plausible u64 header length followed by '{'. */
    public static boolean sniff(Path path) throws IOException {
        if (Files.size(path) < 9) return false;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            long n = b.getLong(0);
            return n > 1 && n <= MAX_HEADER && n <= ch.size() - 8 && b.get(8) == '{';
        }
    }

    @SuppressWarnings("unchecked")
    private static Safetensors parse(Arena arena, MemorySegment file, String label) {
        long size = file.byteSize();
        if (size < 8) throw new ClipException(label + ": too short for a safetensors file");
        long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER || n > size - 8) {
            throw new ClipException(label + ": bad safetensors header length " + n + " (file is " + size + " bytes)");
        }
        String headerText = new String(file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        Map<String, Object> header;
        try {
            header = Json.parseObject(headerText);
        } catch (ClipException e) {
            throw new ClipException(label + ": corrupt safetensors header (" + e.getMessage() + ")");
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw new ClipException(label + ": __metadata__ is not an object");
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String v)) {
                        throw new ClipException(label + ": metadata value of '" + me.getKey() + "' is not a string");
                    }
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> info)) throw new ClipException(label + ": entry '" + name + "' is not an object");
            Map<String, Object> m = (Map<String, Object>) info;
            if (!(m.get("dtype") instanceof String dt)) throw new ClipException(label + ": tensor '" + name + "' has no dtype");
            DType dtype = DType.parse(dt);
            long[] shape = longs(m.get("shape"), label, name, "shape");
            long[] off = longs(m.get("data_offsets"), label, name, "data_offsets");
            if (off.length != 2 || off[0] < 0 || off[1] < off[0] || off[1] > dataSize) {
                throw new ClipException(label + ": tensor '" + name + "' has data_offsets outside the file (truncated?)");
            }
            long numel;
            try {
                numel = Tensor.numel(shape);
                if (Math.multiplyExact(numel, dtype.bytes) != off[1] - off[0]) {
                    throw new ClipException(label + ": tensor '" + name + "' byte range does not match its shape");
                }
            } catch (ArithmeticException ex) {
                throw new ClipException(label + ": tensor '" + name + "' shape overflows");
            }
            ranges.add(new long[]{off[0], off[1]});
            if (name.startsWith(PAD_PREFIX)) continue;
            tensors.put(name, new Tensor(name, dtype, shape, file.asSlice(dataStart + off[0], off[1] - off[0])));
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) throw new ClipException(label + ": overlapping tensors");
        }
        return new Safetensors(arena, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static long[] longs(Object o, String label, String name, String field) {
        if (!(o instanceof List<?> l)) throw new ClipException(label + ": tensor '" + name + "' has no " + field);
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Long v)) throw new ClipException(label + ": tensor '" + name + "' has a bad " + field);
            r[i] = v;
        }
        return r;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        arena.close();
    }
}
