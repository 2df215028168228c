package clip4j.cuda;

import clip4j.ClipException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Host-side launch rules, checked without a GPU. */
class LaunchesTest {
    @Test
    void linearGridCoversEveryOutput() {
        assertArrayEquals(new int[]{1, 1}, Launches.linearGrid(1, 1, false));
        assertArrayEquals(new int[]{18, 1}, Launches.linearGrid(50, 2304, false));
        assertArrayEquals(new int[]{6, 100}, Launches.linearGrid(256 * 50, 768, false));
        assertArrayEquals(new int[]{6, 100}, Launches.linearGrid(256 * 50, 768, true));
        assertArrayEquals(new int[]{1, 1}, Launches.linearGrid(31, 23, true));
        assertArrayEquals(new int[]{2, 1}, Launches.linearGrid(65, 129, false));
        assertArrayEquals(new int[]{2, 1}, Launches.linearGrid(65, 129, true));
        assertThrows(IllegalArgumentException.class, () -> Launches.linearGrid(0, 5, true));
        assertEquals(61440, Launches.linearShared("linear_f16_x16_y16"));
        assertEquals(0, Launches.linearShared("linear_bf16"));
        assertEquals(Launches.EPI_QUICK_GELU, Launches.epilogue(clip4j.backend.Epilogue.QUICK_GELU));
        assertEquals(Launches.EPI_GELU, Launches.epilogue(clip4j.backend.Epilogue.GELU));
        assertEquals(Launches.EPI_ACCUMULATE, Launches.epilogue(clip4j.backend.Epilogue.RESIDUAL));
        assertEquals(Launches.EPI_NONE, Launches.epilogue(clip4j.backend.Epilogue.NONE));
        assertEquals(Launches.EPI_RELU, Launches.epilogue(clip4j.backend.Epilogue.RELU));
        assertEquals(Launches.EPI_ACCUMULATE | Launches.EPI_RELU, Launches.epilogue(clip4j.backend.Epilogue.RESIDUAL_RELU));
    }

    @Test
    void attentionPicksTheHeadWidthInstance() {
        assertEquals("attention_hd64", Launches.attentionKernel("", 768, 12));
        assertEquals("attention_f16_hd64", Launches.attentionKernel("f16", 512, 8));
        assertEquals("attention_bf16_hd80", Launches.attentionKernel("bf16", 1280, 16));
        assertThrows(ClipException.class, () -> Launches.attentionKernel("", 72, 1));
        assertThrows(IllegalArgumentException.class, () -> Launches.attentionKernel("f16", 100, 3));
        assertArrayEquals(new int[]{256 * 12, 1}, Launches.attentionGrid("", 256, 50, 768, 12));
        assertArrayEquals(new int[]{8, 2}, Launches.attentionGrid("", 1, 77, 512, 8));
        assertArrayEquals(new int[]{8, 2}, Launches.attentionGrid("f16", 1, 77, 512, 8));
        assertArrayEquals(new int[]{2, 3}, Launches.attentionGrid("bf16", 1, 77, 256, 2));  // head width 128: 32 queries a block
        assertEquals(64, Launches.attentionThreads("", 768, 12));
        assertEquals(128, Launches.attentionThreads("f16", 768, 12));
        assertEquals(64, Launches.attentionThreads("bf16", 256, 2));
    }

    @Test
    void elementBlocksStayInRange() {
        assertEquals(1, Launches.elementBlocks(0));
        assertEquals(1, Launches.elementBlocks(256));
        assertEquals(2, Launches.elementBlocks(257));
        assertEquals(Launches.ELEMENT_MAX_BLOCKS, Launches.elementBlocks(1L << 40));
        assertEquals(1, Launches.rowBlocks(1));
        assertEquals(2, Launches.rowBlocks(9));
    }

    @Test
    void classIndexListsEachClassKeysInOrder() {
        int[][] idx = Launches.classIndex(new int[]{2, 0, 2, 1, 0}, 4);
        assertArrayEquals(new int[]{1, 4, 3, 0, 2}, idx[0]);
        assertArrayEquals(new int[]{0, 2, 3, 5, 5}, idx[1]);
        assertArrayEquals(new int[]{1000, 4}, Launches.tipGrid(1000, 1000));
        assertFalse(Launches.inOrder(idx[0]));
        assertTrue(Launches.inOrder(Launches.classIndex(new int[]{0, 0, 1, 3}, 4)[0]));
        ClipException bad = assertThrows(ClipException.class, () -> Launches.classIndex(new int[]{0, 4}, 4));
        assertTrue(bad.getMessage().contains("label 4"), bad.getMessage());
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals((short) 0x3f80, clip4j.io.HalfFloats.floatToBf16(1.0f));
        assertEquals((short) 0x3f80, clip4j.io.HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f808000))); // tie, even stays
        assertEquals((short) 0x3f82, clip4j.io.HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f818000))); // tie, odd rounds up
        assertEquals((short) 0x3f81, clip4j.io.HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f808001)));
        assertTrue(Float.isNaN(Float.intBitsToFloat(clip4j.io.HalfFloats.floatToBf16(Float.NaN) << 16)));
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
