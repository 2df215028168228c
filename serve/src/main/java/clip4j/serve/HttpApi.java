package clip4j.serve;

import clip4j.ClipException;
import clip4j.image.ImageDecoder;
import clip4j.image.RawImage;
import clip4j.model.ClipConfig;
import clip4j.text.ClipTokenizer;
import clip4j.util.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP endpoints (JSON in and out; docs/serve.md and openapi.yaml): embeddings of texts and images, the model,
 * health, Prometheus metrics. Every request runs on a virtual thread of its own: it reads and checks its body,
 * tokenizes or decodes on that thread, queues its items in the batchers and waits for them. Bad requests get a 4xx
 * with {"error": one line}; a full queue 429 with Retry-After; a request that waited past its timeout 503.
 */
public final class HttpApi {
    /** Limits of one request. */
    public record Limits(long maxBody, int maxTexts, int maxTextChars) {
    }

    /** A request the client got wrong: its status and one line. */
    static final class BadRequest extends RuntimeException {
        final Status status;

        BadRequest(Status status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final ClipService service;
    private final Limits limits;
    private final Metrics metrics;

    HttpApi(ClipService service, Limits limits, Metrics metrics) {
        this.service = service;
        this.limits = limits;
        this.metrics = metrics;
        metrics.queueDepth("text", () -> service.texts().queued());
        metrics.queueDepth("image", () -> service.images().queued());
    }

    void routes(HttpRouting.Builder r) {
        r.get("/health", (req, res) -> json(res, Status.OK_200, Map.of("status", "ready")))
                .get("/health/live", (req, res) -> json(res, Status.OK_200, Map.of("status", "live")))
                .get("/health/ready", (req, res) -> json(res, Status.OK_200, Map.of("status", "ready")))
                .get("/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, Metrics.contentType());
                    res.send(metrics.scrape());
                })
                .get("/v1/model", measured("model", this::model))
                .post("/v1/embed/text", measured("embed_text", this::embedText))
                .post("/v1/embed/image", measured("embed_image", this::embedImage));
    }

    /** A handler that counts its requests by status and times them; errors become JSON answers. */
    private Handler measured(String endpoint, Handler h) {
        return (req, res) -> {
            long t0 = System.nanoTime();
            try {
                h.handle(req, res);
            } catch (BadRequest e) {
                json(res, e.status, Map.of("error", e.getMessage()));
            } catch (Batcher.Rejected e) {
                res.header(HeaderNames.RETRY_AFTER, "1");
                json(res, Status.TOO_MANY_REQUESTS_429, Map.of("error", "busy: " + e.getMessage() + "; retry later"));
            } catch (TimeoutException e) {
                res.header(HeaderNames.RETRY_AFTER, "1");
                json(res, Status.SERVICE_UNAVAILABLE_503, Map.of("error", "busy: the request waited past its timeout"));
            } catch (ClipException e) {
                json(res, Status.BAD_REQUEST_400, Map.of("error", e.getMessage().lines().findFirst().orElse("bad request")));
            } catch (RuntimeException e) {
                json(res, Status.INTERNAL_SERVER_ERROR_500, Map.of("error", "internal error: " + e.getClass().getSimpleName()));
            } finally {
                metrics.requests.labelValues(endpoint, Integer.toString(res.status().code())).inc();
                metrics.latency.labelValues(endpoint).observe((System.nanoTime() - t0) / 1e9);
            }
        };
    }

    private static void json(ServerResponse res, Status status, Object body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send((Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private void model(ServerRequest req, ServerResponse res) {
        ClipConfig c = service.model().config();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", c.architecture());
        m.put("dims", c.embedDim());
        m.put("image_size", c.imageSize());
        m.put("context_length", c.contextLength());
        m.put("sha256", service.modelSha256());
        json(res, Status.OK_200, m);
    }

    /** The body, at most maxBody bytes (a longer one is refused unread past the limit). */
    private byte[] body(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxBody() + 1));
            if (b.length > limits.maxBody()) throw new BadRequest(Status.REQUEST_ENTITY_TOO_LARGE_413, "body over " + limits.maxBody() + " bytes");
            return b;
        } catch (IOException e) {
            throw new BadRequest(Status.BAD_REQUEST_400, "cannot read the body: " + e.getMessage());
        }
    }

    private static String contentType(ServerRequest req) {
        return req.headers().contentType().map(t -> t.mediaType().text().toLowerCase(Locale.ROOT)).orElse("");
    }

    private Map<String, Object> jsonBody(ServerRequest req) {
        if (!contentType(req).equals("application/json")) throw new BadRequest(Status.UNSUPPORTED_MEDIA_TYPE_415, "send application/json");
        try {
            return Json.parseObject(new String(body(req), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | ClipException e) {
            throw new BadRequest(Status.BAD_REQUEST_400, "invalid JSON: " + e.getMessage());
        }
    }

    private void embedText(ServerRequest req, ServerResponse res) throws Exception {
        Map<String, Object> in = jsonBody(req);
        if (!(in.get("texts") instanceof List<?> texts)) throw new BadRequest(Status.BAD_REQUEST_400, "expected {\"texts\": [\"...\", ...]}");
        if (texts.isEmpty() || texts.size() > limits.maxTexts()) {
            throw new BadRequest(Status.BAD_REQUEST_400, "between 1 and " + limits.maxTexts() + " texts per request, not " + texts.size());
        }
        ClipTokenizer tok = service.model().tokenizer();
        int ctx = service.model().config().contextLength();
        List<Integer> tokens = new ArrayList<>();
        List<CompletableFuture<float[]>> pending = new ArrayList<>();
        for (Object t : texts) {
            if (!(t instanceof String s)) throw new BadRequest(Status.BAD_REQUEST_400, "every text must be a string");
            if (s.length() > limits.maxTextChars()) throw new BadRequest(Status.BAD_REQUEST_400, "a text over " + limits.maxTextChars() + " characters");
        }
        for (Object t : texts) {
            int[] ids = tok.tokenizeQuietly((String) t, ctx).ids();
            tokens.add(tok.trimPadding(ids).length);
            pending.add(service.embedTokens(ids));
        }
        List<float[]> out = await(pending);
        json(res, Status.OK_200, Map.of("embeddings", out, "tokens", tokens));
    }

    private void embedImage(ServerRequest req, ServerResponse res) throws Exception {
        String type = contentType(req);
        byte[] bytes;
        if (type.startsWith("image/") || type.equals("application/octet-stream")) {
            bytes = body(req);
        } else if (type.equals("application/json")) {
            if (!(jsonBody(req).get("image") instanceof String b64)) throw new BadRequest(Status.BAD_REQUEST_400, "expected {\"image\": BASE64}");
            try {
                bytes = Base64.getMimeDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                throw new BadRequest(Status.BAD_REQUEST_400, "image is not base64: " + e.getMessage());
            }
        } else {
            throw new BadRequest(Status.UNSUPPORTED_MEDIA_TYPE_415, "send the image's bytes (image/*) or {\"image\": BASE64} (application/json)");
        }
        RawImage img;
        try {
            img = ImageDecoder.decode(bytes, "the uploaded image");
        } catch (ClipException e) {
            throw new BadRequest(Status.BAD_REQUEST_400, e.getMessage());
        }
        float[] e = await(List.of(service.embedPixels(service.model().preprocessor().preprocess(img)))).getFirst();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("embedding", e);
        m.put("width", img.width());
        m.put("height", img.height());
        json(res, Status.OK_200, m);
    }

    /** Every result, waiting at most the request timeout in all. */
    private List<float[]> await(List<CompletableFuture<float[]>> pending) throws Exception {
        long until = System.nanoTime() + service.settings().timeout().toNanos();
        List<float[]> out = new ArrayList<>(pending.size());
        try {
            for (CompletableFuture<float[]> f : pending) out.add(f.get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (ExecutionException e) {
            pending.forEach(f -> f.cancel(false));
            if (e.getCause() instanceof TimeoutException t) throw t;
            if (e.getCause() instanceof ClipException c) throw new BadRequest(Status.BAD_REQUEST_400, c.getMessage());
            throw new IllegalStateException("the engine failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            pending.forEach(f -> f.cancel(false));
            throw e;
        }
        return out;
    }
}
