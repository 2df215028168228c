package clip4j.io;

import clip4j.ClipException;
import clip4j.util.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file (docs/model-file.md#layout) whose every tensor starts on a 64-byte boundary of the file:
 * the header is padded with spaces so the data buffer starts aligned, and where a tensor's size would
 * misalign the next one a U8 filler tensor named {@code __pad__.<k>} closes the gap, so the buffer has no
 * holes and stays valid for any safetensors reader. Written to a temporary file, then renamed.
 */
public final class SafetensorsWriter {
    public static final int ALIGN = 64;

    /** Element i of a tensor being written, as a float. */
    public interface FloatSource {
        float get(long i);
    }

    private record Entry(String name, DType dtype, long[] shape, FloatSource source) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter add(String name, DType dtype, long[] shape, FloatSource source) {
        if (!dtype.isFloat() || dtype == DType.F64) throw new ClipException("writer stores f32, f16 or bf16, not " + dtype);
        for (Entry e : entries) {
            if (e.name.equals(name)) throw new ClipException("duplicate tensor '" + name + "'");
        }
        entries.add(new Entry(name, dtype, shape.clone(), source));
        return this;
    }

    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        if (Tensor.numel(shape) != values.length) throw new ClipException("tensor '" + name + "': wrong element count");
        return add(name, dtype, shape, i -> values[(int) i]);
    }

    public void write(Path target) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) header.put("__metadata__", metadata);
        long offset = 0;
        long[] starts = new long[entries.size()];
        int pads = 0;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            long misalign = offset % ALIGN;
            if (misalign != 0) {
                long gap = ALIGN - misalign;
                header.put(Safetensors.PAD_PREFIX + pads++, info("U8", new long[]{gap}, offset, offset + gap));
                offset += gap;
            }
            long bytes = Tensor.numel(e.shape) * e.dtype.bytes;
            starts[i] = offset;
            header.put(e.name, info(e.dtype.name(), e.shape, offset, offset + bytes));
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        long padded = json.length;
        while ((8 + padded) % ALIGN != 0) padded++;
        final long headerLen = padded;
        final long dataStart = 8 + headerLen;
        final long total = dataStart + offset;
        final long jsonLen = json.length;
        AtomicFiles.write(target, tmp -> {
            // written with plain writes, not through a mapping: a full disk is then an IOException, not a SIGBUS
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer head = ByteBuffer.allocate((int) dataStart).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(headerLen).put(json);
                while (head.hasRemaining()) head.put((byte) ' ');
                writeAll(ch, head.flip());
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                long at = 0;
                for (int i = 0; i < entries.size(); i++) {
                    for (; at < starts[i]; at++) {
                        if (!buf.hasRemaining()) writeAll(ch, buf.flip()).clear();
                        buf.put((byte) 0);
                    }
                    Entry e = entries.get(i);
                    long n = Tensor.numel(e.shape);
                    for (long k = 0; k < n; k++) {
                        if (buf.remaining() < 4) writeAll(ch, buf.flip()).clear();
                        float v = e.source.get(k);
                        switch (e.dtype) {
                            case F32 -> buf.putFloat(v);
                            case F16 -> buf.putShort(HalfFloats.floatToF16(v));
                            case BF16 -> buf.putShort(HalfFloats.floatToBf16(v));
                            default -> throw new IllegalStateException(e.dtype.name());
                        }
                    }
                    at += n * e.dtype.bytes;
                }
                writeAll(ch, buf.flip());
                ch.force(true);
            }
        });
    }

    private static ByteBuffer writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
        return b;
    }

    private static Map<String, Object> info(String dtype, long[] shape, long begin, long end) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dtype", dtype);
        List<Object> s = new ArrayList<>();
        for (long d : shape) s.add(d);
        m.put("shape", s);
        m.put("data_offsets", List.of(begin, end));
        return m;
    }
}
