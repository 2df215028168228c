package clip4j.backend;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WorkerPoolTest {
    /** Every index of every loop runs exactly once, for counts below, at and above the thread count. */
    @Test
    void eachIndexOnce() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int count : new int[]{0, 1, 2, 3, 4, 11, 1000}) {
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(count);
                    pool.parallelFor(count, (lo, hi, ws) -> {
                        for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "count " + count + " index " + i);
                }
            }
        }
    }

    /**
     * Hostile input: closing the pool while another thread runs loops once left that thread spinning for ever in 3
     * of 20 trials (a worker that saw the close left without acknowledging the loop). Every trial must now end: the
     * loop completes or fails with a ClipException, and later loops fail at once.
     */
    @Test
    void closeWhileLoopsRunNeverHangs() throws Exception {
        for (int trial = 0; trial < 40; trial++) {
            WorkerPool pool = new WorkerPool(3);
            java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 1_000_000; i++) pool.parallelFor(64, (lo, hi, ws) -> Thread.onSpinWait());
                    ended.set(new AssertionError("the loops outlived the close"));
                } catch (Throwable e) {
                    ended.set(e);
                }
            });
            Thread.sleep(trial % 5);
            pool.close();
            t.join(java.time.Duration.ofSeconds(20));
            org.junit.jupiter.api.Assertions.assertFalse(t.isAlive(), "trial " + trial + ": the caller still spins after close");
            org.junit.jupiter.api.Assertions.assertInstanceOf(clip4j.ClipException.class, ended.get(), "trial " + trial);
        }
    }

    @Test
    void workerFailureReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, (lo, hi, ws) -> {
                if (lo > 0) throw new IllegalStateException("part " + lo);
            }));
            assertEquals("part 5", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(4);
            pool.parallelFor(4, (lo, hi, ws) -> {
                for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 4; i++) assertEquals(1, hits.get(i), "the pool still works after a failure");
        }
    }

    @Test
    void nestedAndConcurrentCallers() throws Exception {
        try (WorkerPool pool = new WorkerPool(2); ExecutorService callers = Executors.newFixedThreadPool(3)) {
            Future<?>[] f = new Future<?>[3];
            for (int c = 0; c < f.length; c++) {
                f[c] = callers.submit(() -> {
                    for (int rep = 0; rep < 300; rep++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(64);
                        pool.parallelFor(8, (lo, hi, ws) -> {
                            for (int o = lo; o < hi; o++) {
                                int outer = o;
                                pool.parallelFor(8, (l2, h2, ws2) -> {
                                    for (int i = l2; i < h2; i++) hits.incrementAndGet(outer * 8 + i);
                                });
                            }
                        });
                        for (int i = 0; i < 64; i++) assertEquals(1, hits.get(i));
                    }
                    return null;
                });
            }
            for (Future<?> x : f) x.get();
        }
    }
}
