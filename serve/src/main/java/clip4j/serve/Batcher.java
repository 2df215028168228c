package clip4j.serve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A dynamic batcher in the manner of Triton's: requests from many clients wait in a bounded queue, and one thread
 * takes them as engine batches of up to maxBatch, waiting at most maxDelay after a batch's first request for more to
 * join. A full queue refuses at once ({@link Rejected}: the caller answers 429) rather than growing; a request whose
 * deadline passes while it waits is dropped before it reaches the engine; a batch that fails is run again one request
 * at a time, so that one bad request fails alone; {@link #close} takes no more and finishes what is queued.
 */
public final class Batcher<I, O> implements AutoCloseable {
    /** The engine's work: outputs for a batch of inputs, in their order. */
    public interface Engine<I, O> {
        List<O> run(List<I> batch) throws Exception;
    }

    /** The queue was full: nothing was queued. */
    public static final class Rejected extends Exception {
        Rejected(String what) {
            super(what);
        }
    }

    private record Request<I, O>(I input, long deadline, CompletableFuture<O> result) {
    }

    private final Engine<I, O> engine;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final BlockingQueue<Request<I, O>> queue;
    private final Thread worker;
    private volatile boolean closing;

    // counters for the metrics endpoint
    private final AtomicLong batches = new AtomicLong(), rejected = new AtomicLong(), expired = new AtomicLong(), failed = new AtomicLong();
    /** batchSizes[n]: batches of n requests. */
    private final AtomicLongArray batchSizes;

    public Batcher(String name, Engine<I, O> engine, int maxBatch, Duration maxDelay, int queueCapacity) {
        if (maxBatch < 1 || queueCapacity < 1 || maxDelay.isNegative()) throw new IllegalArgumentException("bad batcher settings");
        this.engine = engine;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelay.toNanos();
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.batchSizes = new AtomicLongArray(maxBatch + 1);
        this.worker = Thread.ofPlatform().name("clip4j-batcher-" + name).daemon().start(this::loop);
    }

    /**
     * Queues input; the future completes with its output, or exceptionally with the engine's error for it, or a
     * {@link TimeoutException} when timeout passes before its batch starts.
     *
     * @throws Rejected when the queue is full or the batcher is closing
     */
    public CompletableFuture<O> submit(I input, Duration timeout) throws Rejected {
        Request<I, O> r = new Request<>(input, System.nanoTime() + timeout.toNanos(), new CompletableFuture<>());
        if (closing || !queue.offer(r)) refuse();
        return r.result;
    }

    private void loop() {
        List<Request<I, O>> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                Request<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && queue.isEmpty()) return;
                    continue;
                }
                batch.add(first);
                long until = System.nanoTime() + maxDelayNanos;
                while (batch.size() < maxBatch) {
                    long left = until - System.nanoTime();
                    Request<I, O> r = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (r == null) break;
                    batch.add(r);
                }
                run(batch);
            } catch (InterruptedException e) {
                // only a forced close interrupts: what was taken is answered, not dropped
                for (Request<I, O> r : batch) r.result.completeExceptionally(new java.util.concurrent.CancellationException("shutting down"));
                if (closing) return;
            } finally {
                batch.clear();
            }
        }
    }

    private void run(List<Request<I, O>> batch) {
        long now = System.nanoTime();
        List<Request<I, O>> live = new ArrayList<>(batch.size());
        for (Request<I, O> r : batch) {
            if (now - r.deadline > 0) {
                expired.incrementAndGet();
                r.result.completeExceptionally(new TimeoutException("waited longer than its timeout for the engine"));
            } else if (!r.result.isDone()) { // a caller that gave up (cancelled) needs no work
                live.add(r);
            }
        }
        if (live.isEmpty()) return;
        batches.incrementAndGet();
        batchSizes.incrementAndGet(live.size());
        try {
            complete(live, engine.run(live.stream().map(Request::input).toList()));
        } catch (Exception | Error e) {
            if (live.size() == 1) {
                failed.incrementAndGet();
                live.getFirst().result.completeExceptionally(e);
                return;
            }
            // one request may have sunk the batch: each alone, so that only that one fails
            for (Request<I, O> r : live) run(List.of(r));
        }
    }

    private void complete(List<Request<I, O>> live, List<O> out) {
        if (out.size() != live.size()) throw new IllegalStateException("the engine gave " + out.size() + " outputs for " + live.size() + " inputs");
        for (int i = 0; i < live.size(); i++) live.get(i).result.complete(out.get(i));
    }

    /** Refuses at once when the queue is full, before the caller spends work on a request that could not be queued. */
    public void refuseIfFull() throws Rejected {
        if (closing || queue.remainingCapacity() == 0) refuse();
    }

    private void refuse() throws Rejected {
        if (closing) throw new Rejected("shutting down");
        rejected.incrementAndGet();
        throw new Rejected("queue full (" + (queue.size() + queue.remainingCapacity()) + " requests)");
    }

    /** Requests waiting for the engine now. */
    public int queued() {
        return queue.size();
    }

    public long batches() {
        return batches.get();
    }

    public long rejected() {
        return rejected.get();
    }

    public long expired() {
        return expired.get();
    }

    public long failed() {
        return failed.get();
    }

    /** How many batches had n requests, for n in 0..maxBatch. */
    public long[] batchSizes() {
        long[] h = new long[batchSizes.length()];
        for (int i = 0; i < h.length; i++) h[i] = batchSizes.get(i);
        return h;
    }

    /** Takes no more requests, runs the ones queued, and waits up to wait for them. */
    public boolean close(Duration wait) throws InterruptedException {
        closing = true;
        worker.join(wait);
        return !worker.isAlive();
    }

    @Override
    public void close() {
        try {
            if (!close(Duration.ofSeconds(30))) {
                worker.interrupt();
                for (Request<I, O> r; (r = queue.poll()) != null; ) r.result.completeExceptionally(new java.util.concurrent.CancellationException("shutting down"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
