package clip4j.util;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Wall-clock medians for the CLI's bench commands and the bench module's probes (JMH is the rigorous harness). */
public final class Timing {
    /** A timed operation; may throw (ONNX Runtime's calls do). */
    public interface Op {
        void run() throws Exception;
    }

    private Timing() {
    }

    public static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    /** Median seconds per call over about {@code seconds}, after {@code warmupSeconds} of warm-up (and at least 3 calls). */
    public static double measure(Op op, double warmupSeconds, double seconds) throws Exception {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do op.run(); while (System.nanoTime() < warmEnd);
        List<Double> t = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long s = System.nanoTime();
            op.run();
            t.add((System.nanoTime() - s) / 1e9);
        } while (System.nanoTime() < end || t.size() < 3);
        return median(t);
    }
}
