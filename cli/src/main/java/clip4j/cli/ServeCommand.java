package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.Backend;
import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import clip4j.serve.ClipServer;
import clip4j.serve.ClipService;
import clip4j.serve.HttpApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", header = "An HTTP service of embeddings, with dynamic batching.",
        description = {"Serves the model over HTTP (JSON): POST /v1/embed/text {\"texts\": [...]}, POST /v1/embed/image (the "
                + "image's bytes, {\"image\": BASE64}, or a form's image part), POST /v1/classify (an image with \"labels\", or "
                + "the --adapter's classes), POST /v1/search ({\"text\"} or {\"image\"}, \"k\"; the --index), GET /v1/model, "
                + "GET /health, GET /metrics (Prometheus), GET /openapi.yaml; and a search page at / (a text or a dropped "
                + "image: the index's matches as thumbnails, the image's zero-shot labels). Requests "
                + "from many clients are coalesced into engine batches of up to --max-batch, each waiting at most "
                + "--max-delay-ms for others; a full queue answers 429 with Retry-After. Stops gracefully on SIGTERM or "
                + "Ctrl-C: requests in flight finish."},
        footer = {"", "Examples:", "  clip4j serve --model m.safetensors --port 8080",
                "  curl -s localhost:8080/v1/embed/text -H 'Content-Type: application/json' -d '{\"texts\": [\"a cat\"]}'",
                "  curl -s localhost:8080/v1/embed/image -H 'Content-Type: image/jpeg' --data-binary @cat.jpg",
                "  curl -s localhost:8080/v1/classify -F image=@cat.jpg -F labels=cat -F labels=dog",
                "  clip4j serve --model m.safetensors --index photos-index/   (then open http://127.0.0.1:8080/)"})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions opts;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR", description = "address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for all)")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "N", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Option(names = "--max-batch", defaultValue = "32", paramLabel = "N", description = "largest engine batch (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "5", paramLabel = "MS", description = "longest wait for a batch to fill (default: ${DEFAULT-VALUE})")
    int maxDelayMs;

    @Option(names = "--queue", defaultValue = "256", paramLabel = "N", description = "requests waiting per encoder before 429 (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--timeout-ms", defaultValue = "30000", paramLabel = "MS", description = "longest wait of a request for the engine (default: ${DEFAULT-VALUE})")
    int timeoutMs;

    @Option(names = "--max-body-mb", defaultValue = "16", paramLabel = "MB", description = "largest request body (default: ${DEFAULT-VALUE})")
    int maxBodyMb;

    @Option(names = "--max-connections", defaultValue = "512", paramLabel = "N", description = "open connections at most (default: "
            + "${DEFAULT-VALUE}; keep it under the open-file limit, ulimit -n)")
    int maxConnections;

    @Option(names = "--index", paramLabel = "DIR", description = "an embeddings folder of this model ('clip4j embed') for POST /v1/search")
    java.nio.file.Path index;

    @Option(names = "--adapter", paramLabel = "FILE", description = "a few-shot classifier of this model ('clip4j adapt') for POST /v1/classify without labels")
    java.nio.file.Path adapter;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "require the key in FILE (its first line) on /v1/ and /metrics: "
            + "'Authorization: Bearer KEY' or 'X-API-Key: KEY'")
    java.nio.file.Path apiKeyFile;

    @Mixin
    CommonOptions common;

    private String apiKey() {
        if (apiKeyFile == null) return null;
        try {
            String key = java.nio.file.Files.readAllLines(apiKeyFile).stream().findFirst().orElse("").strip();
            if (key.length() < 8) throw new ClipException(apiKeyFile + ": an API key of at least 8 characters on its first line");
            return key;
        } catch (java.io.IOException e) {
            throw new ClipException("cannot read " + apiKeyFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        if (maxBatch < 1 || queue < 1 || maxDelayMs < 0 || timeoutMs < 1 || maxBodyMb < 1 || maxConnections < 1 || port < 0 || port > 65535) {
            throw new ClipException("--max-batch, --queue, --timeout-ms, --max-body-mb and --max-connections must be positive, --max-delay-ms 0 or more, --port 0-65535");
        }
        String key = apiKey();
        try (Backend be = opts.backend(); ClipModel model = opts.load(be)) {
            ClipService service = new ClipService(model, Hashing.sha256(opts.model), new ClipService.Settings(maxBatch,
                    Duration.ofMillis(maxDelayMs), queue, Duration.ofMillis(timeoutMs)),
                    index == null ? null : clip4j.collection.Index.open(index, opts.engine.options().threads(), 0),
                    adapter == null ? null : clip4j.fewshot.AdapterFile.read(adapter));
            CountDownLatch stopped = new CountDownLatch(1);
            try (ClipServer server = new ClipServer(service, host, port, new HttpApi.Limits((long) maxBodyMb << 20, 256, 10_000, 1000, 1000, maxConnections), key)) {
                Thread hook = new Thread(() -> {
                    server.close();
                    stopped.countDown();
                });
                Runtime.getRuntime().addShutdownHook(hook);
                Log.info("serving " + opts.model + " on http://" + host + ":" + server.port() + " (max batch " + maxBatch + ", max delay "
                        + maxDelayMs + " ms, queue " + queue + ")");
                stopped.await();
            }
        }
        return 0;
    }
}
