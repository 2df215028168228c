package clip4j.backend;

/** Per-thread scratch rows that grow to the largest request and are then reused (no allocation in steady state). */
final class ThreadRows {
    private ThreadRows() {
    }

    /** At least {@code count} rows of at least n floats from this thread's scratch, kept between calls. */
    static float[][] rows(ThreadLocal<float[][]> scratch, int count, int n) {
        float[][] s = scratch.get();
        if (s == null || s.length < count || s[0].length < n) {
            int c = Math.max(count, s == null ? 0 : s.length), len = Math.max(n, s == null ? 0 : s[0].length);
            s = new float[c][len];
            scratch.set(s);
        }
        return s;
    }
}
