package clip4j.backend;

import clip4j.ClipException;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool that splits an index range into equal static parts, one per thread; the calling thread runs the
 * first part itself. Static partitioning keeps results independent of scheduling.
 * <p>
 * One forward pass issues a parallel loop every few tens of microseconds (a text prompt: 60 loops of about 50 µs
 * each), so waking a parked thread per loop would cost as much as the work. Workers therefore spin on a loop
 * counter for {@link #SPIN_NANOS} after each loop before they park (the caller unparks them all each loop: a permit
 * left over only costs one extra check), and a loop allocates nothing. Every worker acknowledges every loop, so none
 * can lag a loop behind. Loops from different caller threads run one at a time; a loop started from inside a loop
 * body runs on the calling thread. Closing the pool while a loop runs makes that loop's caller fail promptly with a
 * ClipException once the parts already started are done (a worker that has stopped never runs its part).
 * <p>
 * Each part has its own {@link Workspace}, used by one thread at a time (loops run one at a time, part p always on
 * the same thread), so kernels keep their per-thread buffers there. A nested loop runs inline with a fresh one.
 */
public final class WorkerPool implements AutoCloseable {
    /** Body of a parallel loop over [lo, hi), with the workspace of the thread that runs the part. */
    public interface RangeBody {
        void run(int lo, int hi, Workspace ws);
    }

    /** How long an idle worker spins before it parks: longer than the gaps between the loops of one forward pass. */
    static final long SPIN_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final int threads;
    private final Thread[] workers;
    private final Workspace[] workspaces;
    private final ReentrantLock callers = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();
    /** Incremented to publish a loop (body, count, parts are written before it); workers wait for it to move. */
    private volatile long loop;
    private volatile boolean closed;
    private volatile Throwable failure;
    private RangeBody body;
    private int count, parts;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.workspaces = new Workspace[threads];
        for (int p = 0; p < threads; p++) workspaces[p] = new Workspace();
        for (int w = 1; w < threads; w++) {
            int part = w;
            workers[w - 1] = Thread.ofPlatform().daemon().name("clip4j-worker-" + w).start(() -> work(part));
        }
    }

    public int threads() {
        return threads;
    }

    public void parallelFor(int count, RangeBody body) {
        int parts = Math.min(threads, count);
        if (isWorker() || callers.isHeldByCurrentThread()) {
            if (count > 0) body.run(0, count, new Workspace());
            return;
        }
        callers.lock();
        try {
            if (closed) throw new ClipException("the backend is closed");
            if (parts <= 1) {
                if (count > 0) body.run(0, count, workspaces[0]);
                return;
            }
            this.body = body;
            this.count = count;
            this.parts = parts;
            failure = null;
            pending.set(workers.length);
            loop++;
            for (Thread w : workers) LockSupport.unpark(w);
            Throwable own = null;
            try {
                body.run(0, bound(1), workspaces[0]);
            } catch (Throwable t) {
                own = t;
            }
            while (pending.get() != 0) {
                if (closed) {
                    for (Thread w : workers) joinUninterruptibly(w); // parts in progress finish; stopped workers skip theirs
                    if (pending.get() != 0) throw new ClipException("the backend was closed while it was computing");
                }
                Thread.onSpinWait();
            }
            this.body = null;
            Throwable t = own != null ? own : failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
        } finally {
            callers.unlock();
        }
    }

    private int bound(int p) {
        return (int) ((long) count * p / parts);
    }

    /** Whether the current thread is one of this pool's workers. */
    boolean isWorker() {
        for (Thread w : workers) if (w == Thread.currentThread()) return true;
        return false;
    }

    private void work(int part) {
        long seen = 0;
        while (true) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (loop == seen && !closed) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) return;
            seen = loop;
            try {
                if (part < parts) body.run(bound(part), bound(part + 1), workspaces[part]);
            } catch (Throwable t) {
                failure = t;
            }
            pending.decrementAndGet();
        }
    }

    static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
