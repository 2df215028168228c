package clip4j.convert.torch;

import clip4j.ClipException;
import clip4j.convert.pickle.Globals;
import clip4j.io.DType;
import clip4j.text.ClipTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile input: archives that lie about sizes, bombs, bad CRCs, overflowing strides, shared bytes. */
class HostileArchiveTest {
    @TempDir
    Path dir;

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** A valid torch.save file with one tensor "w" of 4 floats (storage archive/data/0, 16 bytes, stored). */
    private Path valid() {
        Path p = dir.resolve("ok.pt");
        TorchSaveWriter.write(p, Map.of("w", new TorchSaveWriter.Entry(new long[]{4}, new float[]{1, 2, 3, 4})), DType.F32);
        return p;
    }

    /** A copy of a zip with one record's bytes replaced (deflated), the others as they were. */
    private Path withRecord(Path src, String name, byte[] data, int repeat) throws IOException {
        Path out = dir.resolve("evil-" + System.nanoTime() + ".pt");
        try (ZipFile in = new ZipFile(src.toFile()); ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(out))) {
            for (Enumeration<? extends ZipEntry> en = in.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                z.putNextEntry(new ZipEntry(e.getName()));
                if (e.getName().equals(name)) {
                    for (int i = 0; i < repeat; i++) z.write(data);
                } else {
                    z.write(in.getInputStream(e).readAllBytes());
                }
                z.closeEntry();
            }
        }
        return out;
    }

    @Test
    void theValidFileReads() {
        assertEquals(4, TorchCheckpoint.read(valid()).tensors().get("w").values().get(3), 0f);
    }

    @Test
    void aStorageThatInflatesWithoutEndIsCutAtItsSize() throws IOException {
        Path bomb = withRecord(valid(), "archive/data/0", new byte[1 << 20], 200); // 200 MB of zeros, ~200 KB deflated
        assertTrue(Files.size(bomb) < 1 << 20);
        long before = allocated();
        ClipException e = assertThrows(ClipException.class, () -> TorchCheckpoint.read(bomb));
        assertTrue(allocated() - before < 32L << 20, "bounded by the storage's 16 bytes, not its 200 MB");
        assertTrue(e.getMessage().contains("more than the 16 bytes"), e.getMessage());
        Path shortOne = withRecord(valid(), "archive/data/0", new byte[8], 1);
        assertTrue(assertThrows(ClipException.class, () -> TorchCheckpoint.read(shortOne)).getMessage().contains("holds 8 bytes, not 16"));
    }

    @Test
    void aFlippedByteFailsTheCrc() throws IOException {
        byte[] zip = Files.readAllBytes(valid());
        byte[] name = "archive/data/0".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(zip, name); // the local header's copy of the name: the stored bytes follow it
        zip[at + name.length] ^= 0x40;
        Path bad = Files.write(dir.resolve("flipped.pt"), zip);
        ClipException e = assertThrows(ClipException.class, () -> TorchCheckpoint.read(bad));
        assertTrue(e.getMessage().contains("CRC-32"), e.getMessage());
    }

    @Test
    void overflowingStridesAreRefused() {
        Globals.StorageRef s = new Globals.StorageRef(DType.F32, "0", 2);
        // (5 − 1) × 2^62 wraps to 0 in 64 bits: it once passed the bounds check and repeated element 0
        Globals.TensorRef t = new Globals.TensorRef(s, 0, new long[]{5}, new long[]{1L << 62});
        ClipException e = assertThrows(ClipException.class, () -> TorchCheckpoint.view("w", t, new byte[8]));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        Globals.TensorRef huge = new Globals.TensorRef(s, 0, new long[]{1L << 40, 1L << 40, 0}, new long[]{0, 0, 1});
        assertThrows(ClipException.class, () -> TorchCheckpoint.view("w", huge, new byte[8]));
    }

    @Test
    void aGzipBombIsNotAVocabulary() throws IOException {
        Path gz = dir.resolve("bpe.txt.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 100; i++) o.write(zeros);
        }
        long before = allocated();
        ClipException e = assertThrows(ClipException.class, () -> ClipTokenizer.readMerges(gz));
        assertTrue(allocated() - before < 200L << 20, "bounded");
        assertTrue(e.getMessage().contains("larger than a BPE vocabulary"), e.getMessage());
    }

    @Test
    void directoryEntriesThatShareBytesAreRefused() throws IOException {
        Path two = dir.resolve("two.pt");
        Map<String, TorchSaveWriter.Entry> t = new java.util.LinkedHashMap<>();
        t.put("a", new TorchSaveWriter.Entry(new long[]{4}, new float[]{1, 2, 3, 4}));
        t.put("b", new TorchSaveWriter.Entry(new long[]{4}, new float[]{5, 6, 7, 8}));
        TorchSaveWriter.write(two, t, DType.F32);
        assertEquals(8, TorchCheckpoint.read(two).tensors().get("b").values().get(3), 0f);
        byte[] zip = Files.readAllBytes(two);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(zip).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int cd0 = centralEntry(zip, "archive/data/0"), cd1 = centralEntry(zip, "archive/data/1");
        b.putInt(cd1 + 16, b.getInt(cd0 + 16)); // data/1's CRC := data/0's
        b.putInt(cd1 + 42, b.getInt(cd0 + 42)); // data/1's local header := data/0's
        Path evil = Files.write(dir.resolve("overlap.pt"), zip);
        ClipException e = assertThrows(ClipException.class, () -> TorchCheckpoint.read(evil));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        // the same, with the end record undercounting its directory so that a check stopping at the count misses it
        int eocd = zip.length - 22;
        assertEquals(0x06054b50, b.getInt(eocd));
        b.putShort(eocd + 8, (short) 1).putShort(eocd + 10, (short) 1);
        Path under = Files.write(dir.resolve("undercount.pt"), zip);
        assertTrue(assertThrows(ClipException.class, () -> TorchCheckpoint.read(under)).getMessage().contains("counts 1 records"));
    }

    @Test
    void aModuleTreeOfSharedNodesIsBounded() throws IOException {
        // d_i = {"a": d_(i-1), "b": d_(i-1)} for 40 levels: 2^40 paths through 40 dicts
        java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
        p.writeBytes(new byte[]{(byte) 0x80, 2, '}', 'q', 0});
        for (int i = 1; i <= 40; i++) {
            p.writeBytes(new byte[]{'}', '(', 'X', 1, 0, 0, 0, 'a', 'h', (byte) (i - 1), 'X', 1, 0, 0, 0, 'b', 'h', (byte) (i - 1), 'u', 'q', (byte) i});
        }
        p.write('.');
        Path zip = dir.resolve("diamonds.pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(p.toByteArray());
            z.closeEntry();
        }
        long before = allocated();
        ClipException e = assertThrows(ClipException.class, () -> TorchCheckpoint.read(zip));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
        assertTrue(allocated() - before < 512L << 20, "bounded");
    }

    /** The offset of the central directory entry for a name (PKWARE signature 0x02014b50, name at +46). */
    private static int centralEntry(byte[] zip, String name) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(zip).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + 46 + n.length <= zip.length; i++) {
            if (b.getInt(i) == 0x02014b50 && (b.getShort(i + 28) & 0xffff) == n.length
                    && java.util.Arrays.equals(java.util.Arrays.copyOfRange(zip, i + 46, i + 46 + n.length), n)) {
                return i;
            }
        }
        throw new AssertionError("no directory entry for " + name);
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
