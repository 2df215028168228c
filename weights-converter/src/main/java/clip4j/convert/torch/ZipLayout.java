package clip4j.convert.torch;

import clip4j.ClipException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Checks what java.util.zip does not: that the records a zip's central directory lists (PKWARE APPNOTE 4.3.12, with
 * ZIP64 per 4.3.14–4.3.15 and extra field 0x0001) lie inside the file and do not overlap. Two directory entries that
 * point at the same bytes would otherwise give one tensor another's data, with every CRC right.
 */
final class ZipLayout {
    private static final int EOCD = 0x06054b50, EOCD64 = 0x06064b50, EOCD64_LOCATOR = 0x07064b50, CENTRAL = 0x02014b50,
            LOCAL = 0x04034b50;
    private static final long MAX32 = 0xffffffffL;
    /** A torch archive's directory lists a few thousand records: 64 MB is hundreds of thousands. */
    static final long MAX_DIRECTORY = 64L << 20;

    private ZipLayout() {
    }

    /** A record's extent in the file: its local header, name, extra field and data. */
    record Extent(String name, long start, long end) {
    }

    static List<Extent> check(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            long eocd = findEocd(ch, size);
            ByteBuffer e = read(ch, eocd, 22);
            long entries = e.getShort(10) & 0xffff, cdSize = e.getInt(12) & MAX32, cdOffset = e.getInt(16) & MAX32;
            if (eocd + 22 + (e.getShort(20) & 0xffff) != size) throw bad(path, "bytes after its end record");
            long cdEnd = eocd; // the directory ends where the end record, or the ZIP64 end record when present, starts
            ByteBuffer loc = eocd >= 20 ? read(ch, eocd - 20, 20) : null;
            if (loc != null && loc.getInt(0) == EOCD64_LOCATOR) {
                // PyTorch's writer always adds ZIP64 records; their counts and offsets rule when the classic ones are full
                long z64 = loc.getLong(8);
                if (z64 < 0 || z64 + 56 > eocd - 20) throw bad(path, "ZIP64 end record missing");
                ByteBuffer z = read(ch, z64, 56);
                if (z.getInt(0) != EOCD64) throw bad(path, "ZIP64 end record missing");
                cdEnd = z64;
                if (entries == 0xffff || cdSize == MAX32 || cdOffset == MAX32) {
                    entries = z.getLong(32);
                    cdSize = z.getLong(40);
                    cdOffset = z.getLong(48);
                }
            } else if (entries == 0xffff || cdSize == MAX32 || cdOffset == MAX32) {
                throw bad(path, "ZIP64 sizes without a ZIP64 record");
            }
            // java.util.zip reads the directory backwards from the end record and every header in it, whatever the count
            // says: so must this check, or a decoy directory or an undercounted one could hide overlapping records
            if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize != cdEnd || entries < 0 || entries > cdSize / 46) {
                throw bad(path, "its central directory is not where its end record says");
            }
            if (cdSize > MAX_DIRECTORY) throw bad(path, "a central directory over " + (MAX_DIRECTORY >> 20) + " MB");
            ByteBuffer cd = read(ch, cdOffset, (int) cdSize);
            List<Extent> out = new ArrayList<>();
            int p = 0;
            long walked = 0;
            for (; p < cd.limit(); walked++) {
                if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL) throw bad(path, "a broken central directory");
                long csize = cd.getInt(p + 20) & MAX32, usize = cd.getInt(p + 24) & MAX32, local = cd.getInt(p + 42) & MAX32;
                int nameLen = cd.getShort(p + 28) & 0xffff, extraLen = cd.getShort(p + 30) & 0xffff, commentLen = cd.getShort(p + 32) & 0xffff;
                if (p + 46 + nameLen + extraLen + commentLen > cd.limit()) throw bad(path, "a broken central directory");
                byte[] nb = new byte[nameLen];
                cd.get(p + 46, nb);
                String name = new String(nb, java.nio.charset.StandardCharsets.UTF_8);
                // ZIP64 extra field: the 8-byte values of exactly those fields that are 0xffffffff, in this order
                for (int x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen; ) {
                    int id = cd.getShort(x) & 0xffff, len = cd.getShort(x + 2) & 0xffff;
                    if (id == 1) {
                        int q = x + 4;
                        if (usize == MAX32 && q + 8 <= x + 4 + len) q += 8;
                        if (csize == MAX32 && q + 8 <= x + 4 + len) {
                            csize = cd.getLong(q);
                            q += 8;
                        }
                        if (local == MAX32 && q + 8 <= x + 4 + len) local = cd.getLong(q);
                    }
                    x += 4 + len;
                }
                if (local < 0 || csize < 0 || local + 30 > cdOffset) throw bad(path, "record " + name + " lies outside the file");
                ByteBuffer lh = read(ch, local, 30);
                if (lh.getInt(0) != LOCAL) throw bad(path, "record " + name + " has no local header where the directory says");
                long dataStart = local + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
                long end = dataStart + csize;
                if (end > cdOffset || end < dataStart) throw bad(path, "record " + name + " runs past its end");
                out.add(new Extent(name, local, end));
                p += 46 + nameLen + extraLen + commentLen;
            }
            if (walked != entries) throw bad(path, "its end record counts " + entries + " records, its directory holds " + walked);
            List<Extent> sorted = new ArrayList<>(out);
            sorted.sort(Comparator.comparingLong(Extent::start));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i).start < sorted.get(i - 1).end) {
                    throw bad(path, "records " + sorted.get(i - 1).name + " and " + sorted.get(i).name + " overlap");
                }
            }
            return out;
        }
    }

    private static long findEocd(FileChannel ch, long size) throws IOException {
        int tail = (int) Math.min(size, 22 + 65535);
        ByteBuffer b = read(ch, size - tail, tail);
        for (int i = tail - 22; i >= 0; i--) if (b.getInt(i) == EOCD) return size - tail + i;
        throw new ClipException("no zip end record");
    }

    private static ByteBuffer read(FileChannel ch, long at, int n) throws IOException {
        if (at < 0 || n < 0 || at + n > ch.size()) throw new ClipException("zip structure points outside the file");
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) if (ch.read(b, at + b.position()) < 0) throw new ClipException("zip file ends early");
        return b.flip();
    }

    private static ClipException bad(Path path, String what) {
        return new ClipException(path + ": corrupt zip archive: " + what);
    }
}
