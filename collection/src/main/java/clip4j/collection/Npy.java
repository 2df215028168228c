package clip4j.collection;

import clip4j.ClipException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's .npy format, version 1.0 (numpy/lib/format.py {@code write_array_header_1_0}, {@code read_array_header}):
 * the magic "\x93NUMPY", version 1.0, a little-endian header length, a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }} padded with spaces to a multiple of 64 bytes
 * and ended by a newline, then the rows, C order, little-endian f4 or f2.
 */
public final class Npy {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    private static final Pattern HEADER = Pattern.compile(
            "\\{'descr': '<f([24])', 'fortran_order': False, 'shape': \\((\\d+), (\\d+)\\), }\\s*");

    private Npy() {
    }

    /** Element type of the stored rows. */
    public enum DType {
        F32(4), F16(2);
        final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    /** The header, rows, dims and dtype of an .npy file as read back. */
    public record Header(int rows, int dims, DType dtype, long dataOffset) {
    }

    /** rows [n, d] to out as .npy. */
    public static void write(OutputStream out, List<float[]> rows, int d, DType dtype) throws IOException {
        out.write(header(rows.size(), d, dtype));
        ByteBuffer buf = ByteBuffer.allocate(d * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] r : rows) {
            if (r.length != d) throw new IllegalArgumentException("a row of " + r.length + " values in an .npy of " + d);
            buf.clear();
            for (float v : r) {
                if (dtype == DType.F32) buf.putFloat(v);
                else buf.putShort(Float.floatToFloat16(v));
            }
            out.write(buf.array(), 0, buf.position());
        }
    }

    static byte[] header(int n, int d, DType dtype) {
        String dict = "{'descr': '<f" + dtype.bytes + "', 'fortran_order': False, 'shape': (" + n + ", " + d + "), }";
        int unpadded = MAGIC.length + 2 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        StringBuilder b = new StringBuilder(dict);
        while (MAGIC.length + 2 + b.length() + 1 < total) b.append(' ');
        b.append('\n');
        byte[] text = b.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer h = ByteBuffer.allocate(MAGIC.length + 2 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putShort((short) text.length).put(text);
        return h.array();
    }

    /** The header of an .npy file this class writes (2-D, little-endian f4 or f2, C order); anything else refused. */
    public static Header readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(head, 0) != 10) throw new ClipException("not an .npy file (too short): " + file);
            for (int i = 0; i < MAGIC.length; i++) {
                if (head.get(i) != MAGIC[i]) throw new ClipException("not an .npy file of version 1.0: " + file);
            }
            int len = Short.toUnsignedInt(head.getShort(8));
            ByteBuffer text = ByteBuffer.allocate(len);
            if (ch.read(text, 10) != len) throw new ClipException("truncated .npy header: " + file);
            Matcher m = HEADER.matcher(new String(text.array(), StandardCharsets.US_ASCII));
            if (!m.matches()) throw new ClipException("unsupported .npy header (2-D little-endian f4/f2 only): " + file);
            DType dt = m.group(1).equals("4") ? DType.F32 : DType.F16;
            long rows = Long.parseLong(m.group(2)), dims = Long.parseLong(m.group(3));
            long offset = 10L + len;
            if (rows > Integer.MAX_VALUE || dims > Integer.MAX_VALUE || ch.size() != offset + rows * dims * dt.bytes) {
                throw new ClipException("an .npy of " + rows + "x" + dims + " " + dt + " does not match its size: " + file);
            }
            return new Header((int) rows, (int) dims, dt, offset);
        } catch (IOException | NumberFormatException e) {
            throw new ClipException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
