package clip4j.serve;

import clip4j.ClipException;
import clip4j.collection.Index;
import clip4j.zeroshot.ZeroShotClassifier;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP endpoints (JSON in and out; described in openapi.yaml, served at /openapi.yaml): embeddings of texts and
 * images, classification, search of the index and its thumbnails, the model, health, Prometheus metrics, and the
 * search page (page/, static). Every request runs on a virtual thread of its own: it reads and checks its body,
 * tokenizes on that thread, has an image decoded by {@link Decoding}'s threads, queues its items in the batchers and
 * waits for them. Bad requests get a 4xx
 * with {"error": one line}; a full queue 429 with Retry-After; a request that waited past its timeout 503.
 */
public final class HttpApi {
    /** Texts queued at once by one request; the most prompts (labels × templates) of a zero-shot request. */
    static final int WAVE = 32, MAX_PROMPTS = 1024;

    /** A checked exception carried out of a lambda, rethrown by the handler. */
    private static final class Deferred extends RuntimeException {
        Deferred(Exception cause) {
            super(cause);
        }

        @Override
        public synchronized Exception getCause() {
            return (Exception) super.getCause();
        }
    }

    /** Limits of one request. */
    public record Limits(long maxBody, int maxTexts, int maxTextChars, int maxLabels, int maxK, int maxConnections) {
        /** With at most 512 connections (the server's open files stay under the common limit of 1024). */
        public Limits(long maxBody, int maxTexts, int maxTextChars, int maxLabels, int maxK) {
            this(maxBody, maxTexts, maxTextChars, maxLabels, maxK, 512);
        }
    }

    /** The API key every /v1/ request and /metrics must carry (Authorization: Bearer KEY, or X-API-Key), or null. */
    private byte[] apiKey;

    HttpApi apiKey(String key) {
        this.apiKey = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    /** Whether the request carries the key, compared in constant time (MessageDigest.isEqual). */
    private boolean authorized(ServerRequest req) {
        if (apiKey == null) return true;
        String given = req.headers().first(HeaderNames.AUTHORIZATION).filter(a -> a.startsWith("Bearer ")).map(a -> a.substring(7))
                .or(() -> req.headers().first(HeaderNames.create("X-API-Key"))).orElse("");
        return java.security.MessageDigest.isEqual(apiKey, given.getBytes(StandardCharsets.UTF_8));
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
    private final Thumbnails thumbnails;
    /** KB of request bodies that may be in memory at once: 16 bodies of the largest size, at most 512 MB. */
    private final java.util.concurrent.Semaphore bodies;

    HttpApi(ClipService service, Limits limits, Metrics metrics) {
        this.service = service;
        this.thumbnails = service.index() == null ? null : new Thumbnails(service.index(), service.decoding());
        this.limits = limits;
        this.metrics = metrics;
        this.bodies = new java.util.concurrent.Semaphore((int) Math.min(512L << 10, 16 * ((limits.maxBody() + 1023) >> 10)));
    }

    void routes(HttpRouting.Builder r) {
        r.get("/health", (req, res) -> json(res, Status.OK_200, Map.of("status", "ready")))
                .get("/health/live", (req, res) -> json(res, Status.OK_200, Map.of("status", "live")))
                .get("/health/ready", (req, res) -> json(res, Status.OK_200, Map.of("status", "ready")))
                .get("/metrics", (req, res) -> {
                    if (!authorized(req)) {
                        json(res, Status.UNAUTHORIZED_401, Map.of("error", "missing or wrong API key"));
                        return;
                    }
                    res.header(HeaderNames.CONTENT_TYPE, Metrics.contentType());
                    res.send(metrics.scrape());
                })
                .get("/openapi.yaml", (req, res) -> resource(res, "openapi.yaml", "application/yaml"))
                .get("/", (req, res) -> resource(res, "page/index.html", "text/html; charset=utf-8"))
                .get("/page/app.js", (req, res) -> resource(res, "page/app.js", "text/javascript; charset=utf-8"))
                .get("/page/style.css", (req, res) -> resource(res, "page/style.css", "text/css; charset=utf-8"))
                .get("/v1/model", measured("model", this::model))
                .get("/v1/thumbnail/{row}", measured("thumbnail", this::thumbnail))
                .post("/v1/embed/text", measured("embed_text", this::embedText))
                .post("/v1/embed/image", measured("embed_image", this::embedImage))
                .post("/v1/classify", measured("classify", this::classify))
                .post("/v1/search", measured("search", this::search))
                // anything else: a JSON 404 (Helidon's own is plain text)
                .any((req, res) -> json(res, Status.NOT_FOUND_404, Map.of("error", "no such endpoint: " + req.prologue().method().text() + " "
                        + req.path().rawPath() + " (see /openapi.yaml)")));
    }

    /** A handler that counts its requests by status and times them; errors become JSON answers. */
    private Handler measured(String endpoint, Handler h) {
        return (req, res) -> {
            long t0 = System.nanoTime();
            long reserved = 0;
            try {
                if (!authorized(req)) throw new BadRequest(Status.UNAUTHORIZED_401, "missing or wrong API key");
                reserved = reserveBody(req);
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
                json(res, Status.BAD_REQUEST_400, Map.of("error", String.valueOf(e.getMessage())));
            } catch (io.helidon.http.RequestException e) {
                // the server refused the request as it read it (a chunked body over the limit, a malformed chunk)
                refused(res, e.status(), e.getMessage());
            } catch (io.helidon.http.HttpException e) {
                refused(res, e.status(), e.getMessage());
            } catch (RuntimeException e) {
                json(res, Status.INTERNAL_SERVER_ERROR_500, Map.of("error", "internal error: " + e.getClass().getSimpleName()));
            } finally {
                bodies.release((int) reserved);
                metrics.requests.labelValues(endpoint, Integer.toString(res.status().code())).inc();
                metrics.latency.labelValues(endpoint).observe((System.nanoTime() - t0) / 1e9);
            }
        };
    }

    /** Helidon's refusal of a request as a JSON 4xx (its status if a 4xx, else 400). */
    private static void refused(ServerResponse res, Status status, String message) {
        json(res, status.code() >= 400 && status.code() < 500 ? status : Status.BAD_REQUEST_400, Map.of("error", "bad request: " + message));
    }

    /** A file shipped in the jar next to this class (the page, the OpenAPI description). */
    private static void resource(ServerResponse res, String name, String type) throws IOException {
        try (InputStream in = HttpApi.class.getResourceAsStream(name)) {
            res.header(HeaderNames.CONTENT_TYPE, type);
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.send(in.readAllBytes());
        }
    }

    /**
     * Holds back, before a POST's body is read, its share of the memory all bodies in flight may use (its
     * Content-Length, or the body limit when it is sent in chunks), in KB; refused at once when that is spent (429), so
     * that many large uploads at once cannot exhaust the heap. Returned after the request.
     */
    private long reserveBody(ServerRequest req) throws Batcher.Rejected {
        if (!req.prologue().method().equals(io.helidon.http.Method.POST)) return 0;
        long declared = req.headers().contentLength().orElse(limits.maxBody());
        int kb = (int) ((Math.min(Math.max(declared, 0), limits.maxBody()) + 1023) >> 10);
        if (!bodies.tryAcquire(kb)) throw new Batcher.Rejected("too many request bodies in memory");
        return kb;
    }

    /** An error's one line, at most 300 characters (a huge value in a request is not echoed back whole). */
    private static String line(String message) {
        String l = message == null ? "" : message.lines().findFirst().orElse("");
        return l.length() > 300 ? l.substring(0, 297) + "..." : l;
    }

    private static void json(ServerResponse res, Status status, Object body) {
        if (body instanceof Map<?, ?> m && m.size() == 1 && m.get("error") instanceof String e) body = Map.of("error", line(e));
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
        m.put("index_rows", service.index() == null ? 0 : service.index().size());
        m.put("adapter_classes", service.adapter() == null ? List.of() : service.adapter().classNames());
        json(res, Status.OK_200, m);
    }

    /** GET /v1/thumbnail/{row}: a small JPEG of an index row's image (only rows of the loaded index, never a path). */
    private void thumbnail(ServerRequest req, ServerResponse res) throws Exception {
        if (thumbnails == null) throw new BadRequest(Status.NOT_FOUND_404, "no index loaded (serve --index DIR)");
        String r = req.path().pathParameters().get("row");
        long row;
        try {
            row = Long.parseLong(r);
        } catch (NumberFormatException e) {
            row = -1;
        }
        if (row < 0 || row >= service.index().size()) throw new BadRequest(Status.NOT_FOUND_404, "no row " + r + " in the index");
        byte[] jpeg;
        try {
            jpeg = thumbnails.of(row, timeout(req));
        } catch (ClipException e) {
            throw new BadRequest(Status.NOT_FOUND_404, e.getMessage().lines().findFirst().orElse("cannot read the image"));
        }
        res.header(HeaderNames.CONTENT_TYPE, "image/jpeg");
        res.header(HeaderNames.CACHE_CONTROL, "max-age=3600");
        res.send(jpeg);
    }

    /** The body, at most maxBody bytes (a longer one is refused unread past the limit). */
    private byte[] body(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limits.maxBody() + 1));
            if (b.length > limits.maxBody()) throw new BadRequest(Status.REQUEST_ENTITY_TOO_LARGE_413, "body over " + limits.maxBody() + " bytes");
            return b;
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadRequest b) throw b;
            if (e instanceof io.helidon.http.RequestException r && r.status().code() == 413) {
                throw new BadRequest(Status.REQUEST_ENTITY_TOO_LARGE_413, "body over " + limits.maxBody() + " bytes");
            }
            throw new BadRequest(Status.BAD_REQUEST_400, "cannot read the body: " + e.getClass().getSimpleName() + " " + e.getMessage());
        }
    }

    private static String contentType(ServerRequest req) {
        try {
            return req.headers().contentType().map(t -> t.mediaType().text().toLowerCase(Locale.ROOT)).orElse("");
        } catch (RuntimeException e) {
            throw new BadRequest(Status.BAD_REQUEST_400, "a malformed Content-Type");
        }
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
        service.texts().refuseIfFull();
        Map<String, Object> in = jsonBody(req);
        if (!(in.get("texts") instanceof List<?> texts)) throw new BadRequest(Status.BAD_REQUEST_400, "expected {\"texts\": [\"...\", ...]}");
        if (texts.isEmpty() || texts.size() > limits.maxTexts()) {
            throw new BadRequest(Status.BAD_REQUEST_400, "between 1 and " + limits.maxTexts() + " texts per request, not " + texts.size());
        }
        ClipTokenizer tok = service.model().tokenizer();
        Duration timeout = timeout(req);
        List<Integer> tokens = new ArrayList<>();
        for (Object t : texts) {
            if (!(t instanceof String s)) throw new BadRequest(Status.BAD_REQUEST_400, "every text must be a string");
            if (s.length() > limits.maxTextChars()) throw new BadRequest(Status.BAD_REQUEST_400, "a text over " + limits.maxTextChars() + " characters");
        }
        List<int[]> ids = new ArrayList<>();
        for (Object t : texts) {
            ids.add(tokens((String) t));
            tokens.add(tok.trimPadding(ids.getLast()).length);
        }
        List<float[]> out = embedTexts(ids, timeout);
        json(res, Status.OK_200, Map.of("embeddings", out, "tokens", tokens));
    }

    /** An uploaded image: the body's bytes (image/*), or base64 in a JSON field; its JSON fields, if any, in fields. */
    private record Upload(RawImage image, Map<String, Object> fields) {
    }

    private Upload upload(ServerRequest req, boolean required, Duration timeout) throws Exception {
        String type = contentType(req);
        byte[] bytes = null;
        Map<String, Object> fields = Map.of();
        if (type.startsWith("image/") || type.equals("application/octet-stream")) {
            bytes = body(req);
        } else if (type.equals("multipart/form-data")) {
            Multipart.Form form;
            try {
                form = Multipart.parse(body(req), req.headers().contentType().flatMap(t -> Optional.ofNullable(t.parameters().get("boundary")))
                        .orElse(null));
            } catch (IllegalArgumentException e) {
                throw new BadRequest(Status.BAD_REQUEST_400, e.getMessage());
            }
            bytes = form.image();
            fields = formFields(form.fields());
        } else if (type.equals("application/json")) {
            fields = jsonBody(req);
            Object b64 = fields.get("image");
            if (b64 != null && !(b64 instanceof String)) throw new BadRequest(Status.BAD_REQUEST_400, "image must be a base64 string");
            if (b64 != null) {
                try {
                    bytes = Base64.getMimeDecoder().decode((String) b64);
                } catch (IllegalArgumentException e) {
                    throw new BadRequest(Status.BAD_REQUEST_400, "image is not base64: " + e.getMessage());
                }
            }
        } else {
            throw new BadRequest(Status.UNSUPPORTED_MEDIA_TYPE_415, "send the image's bytes (image/*), {\"image\": BASE64} (application/json) "
                    + "or a form with an image part (multipart/form-data)");
        }
        if (bytes == null) {
            if (required) throw new BadRequest(Status.BAD_REQUEST_400, "expected {\"image\": BASE64}");
            return new Upload(null, fields);
        }
        try {
            return new Upload(service.decoding().decode(bytes, "the uploaded image", timeout), fields);
        } catch (ClipException e) {
            throw new BadRequest(Status.BAD_REQUEST_400, e.getMessage());
        }
    }

    /** A form's fields as the JSON fields they stand for: labels and templates lists, k a number, others one string. */
    private static Map<String, Object> formFields(Map<String, List<String>> form) {
        Map<String, Object> fields = new LinkedHashMap<>();
        form.forEach((name, values) -> {
            if (name.equals("labels") || name.equals("templates")) {
                fields.put(name, values);
            } else if (values.size() > 1) {
                throw new BadRequest(Status.BAD_REQUEST_400, "the field " + name + " is given " + values.size() + " times");
            } else if (name.equals("k")) {
                try {
                    fields.put(name, Integer.parseInt(values.getFirst().strip()));
                } catch (NumberFormatException e) {
                    fields.put(name, values.getFirst());
                }
            } else {
                fields.put(name, values.getFirst());
            }
        });
        return fields;
    }

    private float[] embed(RawImage img, Duration timeout) throws Exception {
        return await(List.of(service.embedPixels(service.model().preprocessor().preprocess(img), timeout)), timeout).getFirst();
    }

    private void embedImage(ServerRequest req, ServerResponse res) throws Exception {
        service.images().refuseIfFull();
        Duration timeout = timeout(req);
        RawImage img = upload(req, true, timeout).image();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("embedding", embed(img, timeout));
        m.put("width", img.width());
        m.put("height", img.height());
        json(res, Status.OK_200, m);
    }

    /** An image (base64 JSON with "labels" and optional "templates", or raw bytes with ?labels=a,b) among labels. */
    private void classify(ServerRequest req, ServerResponse res) throws Exception {
        service.images().refuseIfFull();
        Duration timeout = timeout(req);
        Upload u = upload(req, true, timeout);
        List<String> labels = strings(u.fields().get("labels"), "labels");
        if (labels == null) labels = req.query().first("labels").map(q -> List.of(q.split(","))).orElse(null);
        List<String> templates = strings(u.fields().get("templates"), "templates");
        // every check before the image waits for the engine
        if (labels == null) {
            if (service.adapter() == null) throw new BadRequest(Status.BAD_REQUEST_400, "give \"labels\" (no adapter file was loaded)");
        } else {
            labels = labels.stream().map(String::strip).toList();
            if (labels.isEmpty() || labels.size() > limits.maxLabels() || labels.stream().anyMatch(l -> l.isEmpty() || l.length() > 200)
                    || new java.util.HashSet<>(labels).size() != labels.size()) {
                throw new BadRequest(Status.BAD_REQUEST_400, "1 to " + limits.maxLabels() + " distinct labels of 1 to 200 characters");
            }
            if (templates == null) templates = List.of("a photo of a {}.");
            if (templates.size() > 100 || templates.stream().anyMatch(t -> !t.contains("{}") || t.length() > 300)) {
                throw new BadRequest(Status.BAD_REQUEST_400, "up to 100 templates, each with {} for the label");
            }
            if ((long) labels.size() * templates.size() > MAX_PROMPTS) {
                throw new BadRequest(Status.BAD_REQUEST_400, "at most " + MAX_PROMPTS + " prompts (labels x templates), not " + labels.size() * templates.size());
            }
        }
        float[] e = embed(u.image(), timeout);
        List<String> names;
        float[] logits;
        if (labels == null) {
            names = service.adapter().classNames();
            logits = service.adapter().classifier().logits(service.model().backend(), new float[][]{e})[0];
        } else {
            names = labels;
            ZeroShotClassifier zs = service.zeroShot(labels, templates);
            if (zs == null) {
                // the prompts through the text batcher, under this request's timeout
                try {
                    zs = ZeroShotClassifier.build(prompts -> {
                        try {
                            return embedTexts(prompts.stream().map(this::tokens).toList(), timeout).toArray(float[][]::new);
                        } catch (Exception x) {
                            throw new Deferred(x);
                        }
                    }, service.model().config().embedDim(), service.model().logitScaleFactor(), labels, templates);
                } catch (Deferred d) {
                    throw d.getCause();
                }
                service.keep(labels, templates, zs);
            }
            logits = zs.logits(e);
        }
        float[] p = ZeroShotClassifier.probabilities(logits);
        int best = 0;
        for (int c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
        Map<String, Object> probs = new LinkedHashMap<>();
        for (int c = 0; c < p.length; c++) probs.put(names.get(c), p[c]);
        json(res, Status.OK_200, Map.of("label", names.get(best), "probs", probs));
    }

    /** {"text": "...", "k": 10} or {"image": BASE64, "k": 10}: the index's top k. */
    private void search(ServerRequest req, ServerResponse res) throws Exception {
        if (service.index() == null) throw new BadRequest(Status.NOT_FOUND_404, "no index loaded (serve --index DIR)");
        if (!contentType(req).equals("application/json")) service.images().refuseIfFull();
        Duration timeout = timeout(req);
        Upload u = upload(req, false, timeout);
        Object k0 = u.fields().getOrDefault("k", 10);
        if (!(k0 instanceof Number kn) || kn.doubleValue() != Math.rint(kn.doubleValue()) || kn.doubleValue() < 1 || kn.doubleValue() > limits.maxK()) {
            throw new BadRequest(Status.BAD_REQUEST_400, "k must be an integer from 1 to " + limits.maxK());
        }
        float[] q;
        if (u.image() != null) {
            q = embed(u.image(), timeout);
        } else if (u.fields().get("text") instanceof String text) {
            if (text.length() > limits.maxTextChars()) throw new BadRequest(Status.BAD_REQUEST_400, "a text over " + limits.maxTextChars() + " characters");
            q = embedTexts(List.of(tokens(text)), timeout).getFirst();
        } else {
            throw new BadRequest(Status.BAD_REQUEST_400, "expected {\"text\": \"...\"} or {\"image\": BASE64}, and optionally \"k\"");
        }
        List<Map<String, Object>> hits = new ArrayList<>();
        for (Index.Hit h : service.index().search(q, kn.intValue())) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", h.item().key());
            m.put("source", h.item().source());
            m.put("score", h.score());
            m.put("row", h.row());
            hits.add(m);
        }
        json(res, Status.OK_200, Map.of("results", hits));
    }

    private static List<String> strings(Object v, String name) {
        if (v == null) return null;
        if (!(v instanceof List<?> l) || l.stream().anyMatch(x -> !(x instanceof String))) throw new BadRequest(Status.BAD_REQUEST_400, name + " must be a list of strings");
        return l.stream().map(String.class::cast).toList();
    }

    /**
     * How long this request may wait for the engine: the client's timeout_ms (query) or X-Timeout-Ms (header), at most
     * the server's --timeout-ms.
     */
    private Duration timeout(ServerRequest req) {
        Optional<String> asked = req.query().first("timeout_ms").asOptional().or(() -> req.headers().first(HeaderNames.create("X-Timeout-Ms")));
        if (asked.isEmpty()) return service.settings().timeout();
        try {
            long ms = Long.parseLong(asked.get().strip());
            if (ms < 1) throw new NumberFormatException();
            Duration d = Duration.ofMillis(ms);
            return d.compareTo(service.settings().timeout()) < 0 ? d : service.settings().timeout();
        } catch (NumberFormatException e) {
            throw new BadRequest(Status.BAD_REQUEST_400, "timeout_ms must be a positive integer of milliseconds");
        }
    }

    private int[] tokens(String text) {
        return service.model().tokenizer().tokenizeQuietly(text, service.model().config().contextLength()).ids();
    }

    /**
     * Texts' embeddings through the text batcher, queued a wave of {@link #WAVE} at a time (a request of many texts
     * never needs the whole queue at once); a refused wave cancels what it had queued.
     */
    private List<float[]> embedTexts(List<int[]> ids, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        List<float[]> out = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i += WAVE) {
            Duration left = Duration.ofNanos(Math.max(1, until - System.nanoTime()));
            List<CompletableFuture<float[]>> pending = new ArrayList<>();
            try {
                for (int[] t : ids.subList(i, Math.min(ids.size(), i + WAVE))) pending.add(service.embedTokens(t, left));
            } catch (Batcher.Rejected e) {
                pending.forEach(f -> f.cancel(false));
                throw e;
            }
            out.addAll(await(pending, left));
        }
        return out;
    }

    /** Every result, waiting at most timeout in all. */
    private List<float[]> await(List<CompletableFuture<float[]>> pending, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
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
