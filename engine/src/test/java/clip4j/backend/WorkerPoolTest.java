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
                    pool.parallelFor(count, (lo, hi) -> {
                        for (int i = lo; i < hi; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "count " + count + " index " + i);
                }
            }
        }
    }

    @Test
    void workerFailureReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, (lo, hi) -> {
                if (lo > 0) throw new IllegalStateException("part " + lo);
            }));
            assertEquals("part 5", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(4);
            pool.parallelFor(4, (lo, hi) -> {
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
                        pool.parallelFor(8, (lo, hi) -> {
                            for (int o = lo; o < hi; o++) {
                                int outer = o;
                                pool.parallelFor(8, (l2, h2) -> {
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
