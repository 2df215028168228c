package clip4j.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reusable buffers for one computation at a time: each {@link Buffer} names a growable array that keeps its largest
 * size, so a steady stream of same-size calls allocates nothing. A workspace is not thread-safe; whoever runs work
 * creates one and passes it down (a model call gets one from its caller, a worker thread owns one). Contents are
 * valid until the same buffer is asked for again.
 */
public final class Workspace {
    private static final AtomicInteger KEYS = new AtomicInteger();

    /** A buffer's name: one static constant per use, so that no two uses share an array by accident. */
    public static final class Buffer {
        private final int index = KEYS.getAndIncrement();
        private final String name;

        private Buffer(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    public static Buffer buffer(String name) {
        return new Buffer(name);
    }

    private Object[] slots = new Object[0];

    /** The buffer's float array with room for at least n values (contents unspecified). */
    public float[] floats(Buffer b, int n) {
        Object s = slot(b);
        if (s instanceof float[] a && a.length >= n) return a;
        float[] a = new float[n];
        slots[b.index] = a;
        return a;
    }

    /** The buffer's int array with room for at least n values (contents unspecified). */
    public int[] ints(Buffer b, int n) {
        Object s = slot(b);
        if (s instanceof int[] a && a.length >= n) return a;
        int[] a = new int[n];
        slots[b.index] = a;
        return a;
    }

    /** The buffer's native memory (64-byte aligned, zero-filled when new) with room for at least n bytes. */
    public MemorySegment segment(Buffer b, long n) {
        Object s = slot(b);
        if (s instanceof MemorySegment m && m.byteSize() >= n) return m;
        MemorySegment m = Arena.ofAuto().allocate(n, 64);
        slots[b.index] = m;
        return m;
    }

    private Object slot(Buffer b) {
        if (b.index >= slots.length) slots = Arrays.copyOf(slots, Math.max(b.index + 1, 2 * slots.length));
        return slots[b.index];
    }
}
