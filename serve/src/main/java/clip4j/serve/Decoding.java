package clip4j.serve;

import clip4j.ClipException;
import clip4j.image.ImageDecoder;
import clip4j.image.RawImage;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Images (uploads, the page's previews) decoded on a few platform threads of their own, not on the requests'
 * virtual threads: the JDK's native decoders pin the carrier thread they run on, and with one carrier per core two
 * slow decodes stalled every other request (health checks too). At most {@code threads} decode at once, which bounds
 * their memory (each under the decoder's raster limit); as many as the image queue holds may wait; beyond that a
 * request is refused at once (429). A request that waits past its timeout gets 503; its decode still finishes on its
 * thread (a decoder cannot be stopped midway), then frees its slot.
 */
final class Decoding implements AutoCloseable {
    private final ExecutorService pool;
    private final Semaphore slots;

    /** @param waiting how many more may wait for a thread (each holds only its encoded bytes, under the body limits) */
    Decoding(int threads, int waiting) {
        this.pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("clip4j-decode-", 0).daemon().factory());
        this.slots = new Semaphore(threads + waiting);
    }

    RawImage decode(byte[] bytes, String name, Duration timeout) throws Batcher.Rejected, TimeoutException, InterruptedException {
        if (!slots.tryAcquire()) throw new Batcher.Rejected("too many images being decoded");
        Future<RawImage> f;
        try {
            f = pool.submit(() -> {
                try {
                    return ImageDecoder.decode(bytes, name);
                } finally {
                    slots.release();
                }
            });
        } catch (RuntimeException e) {
            slots.release();
            throw new Batcher.Rejected("shutting down");
        }
        try {
            return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ClipException c) throw c;
            throw new ClipException("cannot decode " + name + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            f.cancel(true);
            throw e;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
