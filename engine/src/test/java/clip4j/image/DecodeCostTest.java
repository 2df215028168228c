package clip4j.image;

import clip4j.ClipException;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small files whose headers ask a decoder for much more than their pixel count: refused before decoding, at once. */
class DecodeCostTest {
    static byte[] jpeg() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "jpeg", out);
        return out.toByteArray();
    }

    @Test
    void aJpegOfTooManyScans() throws Exception {
        byte[] ok = jpeg();
        assertEquals(16, ImageDecoder.decode(ok, "ok.jpg").width());
        // the file's scan repeated before its end: 101 scans
        int sos = 0;
        while (!(ok[sos] == (byte) 0xFF && ok[sos + 1] == (byte) 0xDA)) sos++;
        byte[] scan = java.util.Arrays.copyOfRange(ok, sos, ok.length - 2);
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        bomb.write(ok, 0, ok.length - 2);
        for (int i = 0; i < ImageDecoder.MAX_JPEG_SCANS; i++) bomb.write(scan);
        bomb.write(new byte[]{(byte) 0xFF, (byte) 0xD9});
        ClipException e = assertThrows(ClipException.class, () -> ImageDecoder.decode(bomb.toByteArray(), "bomb.jpg"));
        assertTrue(e.getMessage().contains("scans"), e.getMessage());
    }

    @Test
    void aPngThatWouldDecodeToGigabytes() throws Exception {
        // 74 bytes: IHDR of 10000 x 10000 16-bit RGBA (763 MB decoded, under the pixel limit), no data
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] ihdr = ByteBuffer.allocate(13).putInt(10_000).putInt(10_000).put((byte) 16).put((byte) 6).put(new byte[3]).array();
        CRC32 crc = new CRC32();
        crc.update("IHDR".getBytes());
        crc.update(ihdr);
        png.write(ByteBuffer.allocate(4).putInt(13).array());
        png.write("IHDR".getBytes());
        png.write(ihdr);
        png.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        ClipException e = assertThrows(ClipException.class, () -> ImageDecoder.decode(png.toByteArray(), "big.png"));
        assertTrue(e.getMessage().contains("MB limit"), e.getMessage());
    }

    @Test
    void aTiffWhoseStripClaimsMoreThanTheFile() {
        // a 1x1 grey TIFF whose one strip claims 1 GB
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + 8 * 12 + 4 + 1).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8).putShort((short) 8);
        int data = 8 + 2 + 8 * 12 + 4;
        int[][] tags = {{256, 3, 1}, {257, 3, 1}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, data}, {278, 3, 1}, {279, 4, 1 << 30}};
        for (int[] t : tags) b.putShort((short) t[0]).putShort((short) t[1]).putInt(1).putInt(t[2]);
        b.putInt(0).put((byte) 7);
        ClipException e = assertThrows(ClipException.class, () -> ImageDecoder.decode(b.array(), "strip.tiff"));
        assertTrue(e.getMessage().contains("claims"), e.getMessage());
    }
}
