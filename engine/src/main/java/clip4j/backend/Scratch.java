package clip4j.backend;

/**
 * Per-thread activation buffers that grow to the largest call and are then reused, so a steady stream of same-size
 * calls allocates no activations. A buffer's contents are valid until the same thread's next call.
 */
public final class Scratch {
    private final ThreadLocal<float[][]> slots;

    public Scratch(int count) {
        slots = ThreadLocal.withInitial(() -> new float[count][0]);
    }

    /** Slot i with room for at least n floats (contents unspecified). */
    public float[] get(int i, int n) {
        float[][] s = slots.get();
        if (s[i].length < n) s[i] = new float[n];
        return s[i];
    }
}
