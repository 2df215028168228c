package clip4j.backend;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * A fixed pool that splits an index range into equal static parts, one per thread; the calling thread runs the
 * first part itself. Static partitioning keeps results independent of scheduling.
 */
public final class WorkerPool implements AutoCloseable {
    /** Body of a parallel loop over [lo, hi). */
    public interface RangeBody {
        void run(int lo, int hi);
    }

    private final int threads;
    private final ForkJoinPool pool;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1) : null;
    }

    public int threads() {
        return threads;
    }

    public void parallelFor(int count, RangeBody body) {
        int parts = Math.min(threads, count);
        if (parts <= 1) {
            if (count > 0) body.run(0, count);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts];
        for (int p = 1; p < parts; p++) {
            int lo = (int) ((long) count * p / parts);
            int hi = (int) ((long) count * (p + 1) / parts);
            tasks[p] = pool.submit(() -> body.run(lo, hi));
        }
        body.run(0, (int) ((long) count / parts));
        for (int p = 1; p < parts; p++) tasks[p].join();
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
