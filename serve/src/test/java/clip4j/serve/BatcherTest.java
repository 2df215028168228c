package clip4j.serve;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dynamic batcher: order, coalescing up to max batch, per-request failures, timeouts, rejection, graceful close (no timing asserted). */
class BatcherTest {
    static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void concurrentRequestsAreCoalescedAndAnsweredInTheirOwnOrder() throws Exception {
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        try (Batcher<Integer, Integer> b = new Batcher<>("t", in -> {
            sizes.add(in.size());
            Thread.sleep(20);
            return in.stream().map(x -> x * 10).toList();
        }, 8, Duration.ofMillis(50), 256)) {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 40; i++) fs.add(b.submit(i, LONG));
            for (int i = 0; i < 40; i++) assertEquals(i * 10, fs.get(i).get(10, TimeUnit.SECONDS));
            assertTrue(sizes.stream().allMatch(n -> n <= 8), sizes.toString());
            assertTrue(sizes.size() <= 10, "40 requests queued at once run as few batches: " + sizes);
            long[] h = b.batchSizes();
            assertEquals(sizes.size(), b.batches());
            assertEquals(sizes.stream().filter(n -> n == 8).count(), h[8]);
        }
    }

    @Test
    void aLoneRequestIsRunWithoutWaitingForABatchToFill() throws Exception {
        try (Batcher<Integer, Integer> b = new Batcher<>("t", in -> in, 32, Duration.ofMillis(30), 16)) {
            assertEquals(7, b.submit(7, LONG).get(5, TimeUnit.SECONDS));
            assertEquals(1, b.batchSizes()[1]);
        }
    }

    @Test
    void aBadRequestFailsAloneNotItsBatch() throws Exception {
        try (Batcher<Integer, Integer> b = new Batcher<>("t", in -> {
            if (in.contains(13)) throw new IllegalArgumentException("13 is bad");
            return in.stream().map(x -> x + 1).toList();
        }, 16, Duration.ofMillis(50), 64)) {
            List<CompletableFuture<Integer>> fs = new ArrayList<>();
            for (int i = 10; i < 20; i++) fs.add(b.submit(i, LONG));
            for (int i = 10; i < 20; i++) {
                if (i == 13) {
                    ExecutionException e = assertThrows(ExecutionException.class, () -> fs.get(3).get(5, TimeUnit.SECONDS));
                    assertEquals("13 is bad", e.getCause().getMessage());
                } else {
                    assertEquals(i + 1, fs.get(i - 10).get(5, TimeUnit.SECONDS));
                }
            }
            assertEquals(1, b.failed());
        }
    }

    @Test
    void aFullQueueRejectsAtOnceAndExpiredRequestsNeverReachTheEngine() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        try (Batcher<Integer, Integer> b = new Batcher<>("t", in -> {
            release.await();
            seen.addAll(in);
            return in;
        }, 1, Duration.ZERO, 3)) {
            CompletableFuture<Integer> running = b.submit(0, LONG);
            Thread.sleep(100); // the engine holds request 0
            CompletableFuture<Integer> shortLived = b.submit(1, Duration.ofMillis(10));
            b.submit(2, LONG);
            b.submit(3, LONG);
            assertThrows(Batcher.Rejected.class, () -> b.submit(4, LONG));
            assertEquals(1, b.rejected());
            assertEquals(3, b.queued());
            Thread.sleep(50);
            release.countDown();
            assertEquals(0, running.get(5, TimeUnit.SECONDS));
            ExecutionException e = assertThrows(ExecutionException.class, () -> shortLived.get(5, TimeUnit.SECONDS));
            assertInstanceOf(TimeoutException.class, e.getCause());
            Thread.sleep(200);
            assertEquals(List.of(0, 2, 3), seen);
            assertEquals(1, b.expired());
        }
    }

    @Test
    void closeFinishesWhatIsQueuedAndTakesNoMore() throws Exception {
        Batcher<Integer, Integer> b = new Batcher<>("t", in -> {
            Thread.sleep(30);
            return in;
        }, 2, Duration.ZERO, 64);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 10; i++) fs.add(b.submit(i, LONG));
        assertTrue(b.close(Duration.ofSeconds(10)));
        for (int i = 0; i < 10; i++) assertEquals(i, fs.get(i).getNow(-1));
        assertThrows(Batcher.Rejected.class, () -> b.submit(99, LONG));
    }
}
