package clip4j.cuda;

import clip4j.ClipException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Host-side launch rules, checked without a GPU. */
class LaunchesTest {
    @Test
    void linearGridCoversEveryOutput() {
        assertArrayEquals(new int[]{1, 1}, Launches.linearGrid(1, 1));
        assertArrayEquals(new int[]{36, 1}, Launches.linearGrid(50, 2304));
        assertArrayEquals(new int[]{12, 200}, Launches.linearGrid(256 * 50, 768));
        assertArrayEquals(new int[]{1, 1}, Launches.linearGrid(31, 23));
        assertArrayEquals(new int[]{2, 2}, Launches.linearGrid(65, 65));
        assertThrows(IllegalArgumentException.class, () -> Launches.linearGrid(0, 5));
    }

    @Test
    void attentionPicksTheHeadWidthInstance() {
        assertEquals("attention_hd64", Launches.attentionKernel(768, 12));
        assertEquals("attention_hd64", Launches.attentionKernel(512, 8));
        assertEquals("attention_hd80", Launches.attentionKernel(1280, 16));
        assertThrows(ClipException.class, () -> Launches.attentionKernel(72, 1));
        assertThrows(IllegalArgumentException.class, () -> Launches.attentionKernel(100, 3));
        assertArrayEquals(new int[]{256 * 12, 1}, Launches.attentionGrid(256, 50, 12));
        assertArrayEquals(new int[]{8, 2}, Launches.attentionGrid(1, 77, 8));
    }

    @Test
    void elementBlocksStayInRange() {
        assertEquals(1, Launches.elementBlocks(0));
        assertEquals(1, Launches.elementBlocks(256));
        assertEquals(2, Launches.elementBlocks(257));
        assertEquals(Launches.ELEMENT_MAX_BLOCKS, Launches.elementBlocks(1L << 40));
        assertEquals(1, Launches.softmaxBlocks(1));
        assertEquals(2, Launches.softmaxBlocks(9));
    }

    @Test
    void driverMustRunPtx90() {
        assertNull(Launches.driverProblem(13000));
        assertNull(Launches.driverProblem(13010));
        String old = Launches.driverProblem(12040);
        assertTrue(old != null && old.contains("CUDA 12.4") && old.contains("13.0"), old);
        assertEquals("12.8", Launches.versionString(12080));
    }
}
