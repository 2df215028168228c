package clip4j.convert.torch;

import clip4j.io.AtomicFiles;
import clip4j.io.DType;
import clip4j.io.HalfFloats;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a state dict the way torch.save does (PyTorch torch/serialization.py {@code _save};
 * docs/checkpoints.md#torchsave-archives): a zip of stored records under {@code archive/}
 * with data.pkl (protocol 2: an OrderedDict of name → _rebuild_tensor_v2(persistent storage, 0, size, stride,
 * False, OrderedDict())), byteorder, data/&lt;key&gt; and version. torch.load reads it.
 */
public final class TorchSaveWriter {
    /** One tensor to write: its shape and row-major values. */
    public record Entry(long[] shape, float[] values) {
    }

    private TorchSaveWriter() {
    }

    public static void write(java.nio.file.Path path, Map<String, Entry> tensors, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16) throw new IllegalArgumentException("f32 or f16 only");
        AtomicFiles.write(path, tmp -> {
            try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream z = new ZipOutputStream(os)) {
                z.setLevel(0);
                stored(z, "archive/data.pkl", pickle(tensors, dtype));
                stored(z, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
                int key = 0;
                for (Entry e : tensors.values()) stored(z, "archive/data/" + key++, bytes(e.values(), dtype));
                stored(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            }
        });
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }

    private static byte[] bytes(float[] v, DType dt) {
        ByteBuffer b = ByteBuffer.allocate(v.length * dt.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            if (dt == DType.F32) b.putFloat(x);
            else b.putShort(HalfFloats.floatToF16(x));
        }
        return b.array();
    }

    private static byte[] pickle(Map<String, Entry> tensors, DType dt) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);
        global(p, "collections", "OrderedDict");
        p.write(')');
        p.write('R');
        p.write('(');
        int key = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            unicode(p, e.getKey());
            long[] shape = e.getValue().shape();
            global(p, "torch._utils", "_rebuild_tensor_v2");
            p.write('(');
            p.write('(');
            unicode(p, "storage");
            global(p, "torch", dt == DType.F32 ? "FloatStorage" : "HalfStorage");
            unicode(p, Integer.toString(key++));
            unicode(p, "cpu");
            integer(p, e.getValue().values().length);
            p.write('t');
            p.write('Q');
            integer(p, 0);
            p.write('(');
            for (long s : shape) integer(p, s);
            p.write('t');
            p.write('(');
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = stride;
                stride *= shape[i];
            }
            for (long s : strides) integer(p, s);
            p.write('t');
            p.write(0x89);
            global(p, "collections", "OrderedDict");
            p.write(')');
            p.write('R');
            p.write('t');
            p.write('R');
        }
        p.write('u');
        p.write('.');
        return p.toByteArray();
    }

    private static void global(ByteArrayOutputStream p, String module, String name) {
        p.write('c');
        p.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void unicode(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        p.writeBytes(b);
    }

    private static void integer(ByteArrayOutputStream p, long v) {
        p.write('J');
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Math.toIntExact(v)).array());
    }
}
