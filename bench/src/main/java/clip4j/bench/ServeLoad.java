package clip4j.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A load generator for `clip4j serve` (a client only: java.net.http on virtual threads). Phases, each printed as one
 * line: closed loops of C clients (throughput, p50/p99 of answered requests), an open loop at a fixed arrival rate
 * (overload: accepted and rejected counted and timed apart), and a storm of bad requests beside good ones. The
 * server's RSS (from /proc, given its pid) and its batch-size histogram (from /metrics, the phase's difference) are
 * printed with each phase.
 * <p>
 * Usage: ServeLoad URL PID IMAGES_DIR PHASE... where PHASE is closed:text|image:C:SECONDS, open:text|image:RATE:SECONDS,
 * storm:SECONDS[:RATE] (RATE bad requests a second of each kind; none: as fast as they are answered) or idle (RSS only).
 */
public final class ServeLoad {
    private final HttpClient client = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String url;
    private final long pid;
    private final List<byte[]> images = new ArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    /**
     * Every text request's text: `bench text`'s default prompt, since the text encoder's cost grows with the longest
     * prompt of a batch (the server keeps no cache: each request is encoded; /metrics' batch counts show it).
     */
    static final String TEXT = "a photo of a cat.";

    private ServeLoad(String url, long pid, Path imagesDir) throws IOException {
        this.url = url;
        this.pid = pid;
        try (var files = Files.list(imagesDir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".png")).sorted().limit(256).toList()) images.add(Files.readAllBytes(p));
        }
        if (images.isEmpty()) throw new IllegalArgumentException("no .png images in " + imagesDir);
    }

    public static void main(String[] args) throws Exception {
        ServeLoad load = new ServeLoad(args[0], Long.parseLong(args[1]), Path.of(args[2]));
        for (String phase : Arrays.copyOfRange(args, 3, args.length)) {
            String[] p = phase.split(":");
            Map<String, Long> before = load.batchSizes();
            switch (p[0]) {
                case "idle" -> System.out.printf(Locale.ROOT, "idle: RSS %.0f MB (%.0f MB of it mapped files: the model)%n", load.rssMb(),
                        load.status("RssFile:"));
                case "closed" -> load.closed(p[1], Integer.parseInt(p[2]), Integer.parseInt(p[3]));
                case "open" -> load.open(p[1], Double.parseDouble(p[2]), Integer.parseInt(p[3]));
                case "storm" -> load.storm(Integer.parseInt(p[1]), p.length > 2 ? Double.parseDouble(p[2]) : 0);
                default -> throw new IllegalArgumentException("unknown phase " + phase);
            }
            if (!p[0].equals("idle")) System.out.println("  batch sizes (requests per engine batch: batches): " + load.difference(before, load.batchSizes()));
        }
    }

    /** One answered request: its status (-1: the connection failed) and its latency. */
    private record Answer(int status, double ms) {
    }

    private HttpRequest good(String kind) {
        long n = sequence.getAndIncrement();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/embed/" + kind)).timeout(Duration.ofSeconds(60));
        if (kind.equals("text")) {
            return b.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"texts\": [\"" + TEXT + "\"]}")).build();
        }
        return b.header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(images.get((int) (n % images.size())))).build();
    }

    private Answer send(HttpRequest r) {
        long t0 = System.nanoTime();
        try {
            int status = client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
            return new Answer(status, (System.nanoTime() - t0) / 1e6);
        } catch (IOException e) {
            return new Answer(-1, (System.nanoTime() - t0) / 1e6);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, 0);
        }
    }

    /** C clients, each sending its next request when the last is answered, for the given seconds (after 3 s of warm-up). */
    private void closed(String kind, int clients, int seconds) throws InterruptedException {
        run(clients, 3, () -> good(kind));
        RssSampler rss = new RssSampler();
        long t0 = System.nanoTime();
        List<Answer> answers = run(clients, seconds, () -> good(kind));
        double wall = (System.nanoTime() - t0) / 1e9;
        List<Answer> ok = answers.stream().filter(a -> a.status() == 200).toList();
        System.out.printf(Locale.ROOT, "closed %s c=%d: %.1f req/s, p50 %.1f ms, p99 %.1f ms, %d answered, %d not 200 %s; RSS max %.0f MB%n",
                kind, clients, ok.size() / wall, pct(ok, 50), pct(ok, 99), answers.size(), answers.size() - ok.size(), statuses(answers),
                rss.stop());
    }

    private List<Answer> run(int clients, int seconds, Supplier<HttpRequest> next) throws InterruptedException {
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    while (System.nanoTime() < end) answers.add(send(next.get()));
                });
            }
        }
        return new ArrayList<>(answers);
    }

    /** Requests sent at a fixed rate whatever the answers (an open loop): accepted and refused timed apart. */
    private void open(String kind, double rate, int seconds) throws InterruptedException {
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        RssSampler rss = new RssSampler();
        long t0 = System.nanoTime();
        long total = (long) (rate * seconds);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long i = 0; i < total; i++) {
                long due = t0 + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                HttpRequest r = good(kind);
                pool.submit(() -> answers.add(send(r)));
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        List<Answer> all = new ArrayList<>(answers);
        List<Answer> ok = all.stream().filter(a -> a.status() == 200).toList();
        List<Answer> refused = all.stream().filter(a -> a.status() == 429 || a.status() == 503).toList();
        System.out.printf(Locale.ROOT, "open %s at %.0f req/s for %d s: %d sent, %d accepted (%.1f/s, p50 %.0f ms, p99 %.0f ms, max %.0f ms), "
                        + "%d refused (p50 %.1f ms, p99 %.1f ms, max %.1f ms) %s; RSS max %.0f MB%n",
                kind, rate, seconds, all.size(), ok.size(), ok.size() / wall, pct(ok, 50), pct(ok, 99), pct(ok, 100), refused.size(),
                pct(refused, 50), pct(refused, 99), pct(refused, 100), statuses(all), rss.stop());
    }

    /**
     * Each kind of bad request sent again and again by its own client (rate a second, or back to back when 0), beside
     * 4 clients of good text and image requests.
     */
    private void storm(int seconds, double rate) throws Exception {
        Map<String, Supplier<HttpRequest>> bad = new TreeMap<>();
        byte[] png = images.getFirst();
        bad.put("truncated image", () -> post("/v1/embed/image", "image/png", Arrays.copyOf(png, png.length / 2)));
        byte[] bomb = bombPng(20_000, 20_000);
        bad.put("decompression bomb (" + bomb.length / 1024 + " KB PNG of 20000x20000)", () -> post("/v1/embed/image", "image/png", bomb));
        bad.put("100 MB body", () -> HttpRequest.newBuilder(URI.create(url + "/v1/embed/image")).header("Content-Type", "image/png")
                .timeout(Duration.ofSeconds(60)).POST(zeros(100 << 20)).build());
        bad.put("wrong content type", () -> post("/v1/embed/text", "text/plain", "a photo of a cat".getBytes(StandardCharsets.UTF_8)));
        bad.put("invalid JSON", () -> post("/v1/embed/text", "application/json", "{\"texts\": [\"a\",".getBytes(StandardCharsets.UTF_8)));
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 10_000; i++) labels.append(i == 0 ? "" : ",").append("\"label ").append(i).append('"');
        String b64 = java.util.Base64.getEncoder().encodeToString(png);
        byte[] classify = ("{\"image\": \"" + b64 + "\", \"labels\": [" + labels + "]}").getBytes(StandardCharsets.UTF_8);
        bad.put("10,000 labels", () -> post("/v1/classify", "application/json", classify));

        RssSampler rss = new RssSampler();
        Map<String, List<Answer>> results = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            bad.forEach((name, make) -> pool.submit(() -> {
                List<Answer> mine = new ArrayList<>();
                long start = System.nanoTime();
                while (!stop.get()) {
                    mine.add(send(make.get()));
                    if (rate > 0) LockSupport.parkNanos(start + (long) (mine.size() * 1e9 / rate) - System.nanoTime());
                }
                results.put(name, mine);
            }));
            for (String kind : new String[]{"text", "image"}) {
                pool.submit(() -> results.put("good " + kind, run(2, seconds, () -> good(kind))));
            }
            TimeUnit.SECONDS.sleep(seconds);
            stop.set(true);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "storm of bad requests (%s) for %d s beside good ones; RSS max %.0f MB%n",
                rate > 0 ? rate + "/s of each kind" : "back to back", seconds, rss.stop());
        new TreeMap<>(results).forEach((name, answers) -> System.out.printf(Locale.ROOT, "  %-52s %6d sent (%.1f/s), statuses %s, p50 %.1f ms, p99 %.1f ms%n",
                name, answers.size(), answers.size() / wall, statuses(answers), pct(answers, 50), pct(answers, 99)));
    }

    private HttpRequest post(String path, String type, byte[] body) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Content-Type", type).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private static HttpRequest.BodyPublisher zeros(int n) {
        byte[] block = new byte[1 << 20];
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofByteArrays(Collections.nCopies(n / block.length, block)), n);
    }

    /** A greyscale PNG of w×h zeros: a few hundred KB that would be w·h bytes decoded. */
    static byte[] bombPng(int w, int h) throws IOException {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        Deflater d = new Deflater(9);
        byte[] row = new byte[w + 1], buf = new byte[1 << 16];
        for (int y = 0; y < h; y++) {
            d.setInput(row);
            while (!d.needsInput()) idat.write(buf, 0, d.deflate(buf));
        }
        d.finish();
        while (!d.finished()) idat.write(buf, 0, d.deflate(buf));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(type.getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static double pct(List<Answer> answers, double p) {
        if (answers.isEmpty()) return Double.NaN;
        double[] ms = answers.stream().mapToDouble(Answer::ms).sorted().toArray();
        return ms[(int) Math.max(0, Math.ceil(p / 100 * ms.length) - 1)];
    }

    private static Map<Integer, Long> statuses(List<Answer> answers) {
        Map<Integer, Long> m = new TreeMap<>();
        for (Answer a : answers) m.merge(a.status(), 1L, Long::sum);
        return m;
    }

    /** The server's engine batches by encoder and size ("image 32"), from /metrics' clip4j_batches_total. */
    private Map<String, Long> batchSizes() throws IOException, InterruptedException {
        Map<String, Long> m = new TreeMap<>();
        String text = client.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : text.split("\n")) {
            if (!line.startsWith("clip4j_batches_total{")) continue;
            String encoder = line.replaceAll(".*encoder=\"([^\"]*)\".*", "$1"), size = line.replaceAll(".*size=\"([^\"]*)\".*", "$1");
            m.put(encoder + " " + size, (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
        }
        return m;
    }

    /** The batches of each size during a phase ("text 32: 12"), by encoder and size. */
    private static String difference(Map<String, Long> before, Map<String, Long> after) {
        StringBuilder s = new StringBuilder();
        after.entrySet().stream().sorted(java.util.Comparator.comparing((Map.Entry<String, Long> e) -> e.getKey().split(" ")[0])
                        .thenComparingInt(e -> Integer.parseInt(e.getKey().split(" ")[1])))
                .forEach(e -> {
                    long n = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                    if (n > 0) s.append(e.getKey()).append(": ").append(n).append("  ");
                });
        return s.isEmpty() ? "none" : s.toString().strip();
    }

    private double rssMb() {
        return status("VmRSS:");
    }

    /** A size line of /proc/PID/status in MB (VmRSS: all resident; RssFile: of it, mapped files such as the model's). */
    private double status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** The server's largest RSS while a phase runs, sampled every 200 ms. */
    private final class RssSampler {
        private volatile double max = rssMb();
        private final Thread thread = Thread.ofVirtual().start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    max = Math.max(max, rssMb());
                    Thread.sleep(200);
                }
            } catch (InterruptedException e) {
                // stopped
            }
        });

        double stop() {
            thread.interrupt();
            return Math.max(max, rssMb());
        }
    }
}
