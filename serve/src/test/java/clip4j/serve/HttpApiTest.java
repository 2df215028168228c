package clip4j.serve;

import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import clip4j.testing.TestData;
import clip4j.util.Json;
import clip4j.zeroshot.ZeroShotClassifier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API through a real client: embeddings equal the engine's, bad requests get a 4xx and one line, batching. */
class HttpApiTest {
    static TestServer served;
    static ClipModel model;
    static ClipServer server;
    static HttpClient client = HttpClient.newHttpClient();
    static String base;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        served = TestServer.start(tmp);
        model = served.model();
        server = served.server();
        base = served.base();
    }

    @AfterAll
    static void stop() {
        served.close();
    }

    static HttpResponse<String> post(String path, String type, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The status of an image upload over the body limit, on a client of its own: the server refuses it and closes the
     * connection, which a client still sending may see as a broken pipe before the answer (then -1).
     */
    static int refused(HttpRequest.BodyPublisher body) throws Exception {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/embed/image")).header("Content-Type", "image/png")
                    .POST(body).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static float[] floats(Object list) {
        List<?> l = (List<?>) list;
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) f[i] = ((Number) l.get(i)).floatValue();
        return f;
    }

    @Test
    @SuppressWarnings("unchecked")
    void embeddingsAreTheEnginesAndRequestsAreBatched() throws Exception {
        HttpResponse<String> r = post("/v1/embed/text", "application/json", "{\"texts\": [\"a photo of a cat\", \"a dog\"]}".getBytes());
        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> m = Json.parseObject(r.body());
        float[][] want = model.encodeTexts(List.of("a photo of a cat", "a dog"));
        List<Object> got = (List<Object>) m.get("embeddings");
        assertArrayEquals(want[0], floats(got.get(0)));
        assertArrayEquals(want[1], floats(got.get(1)));

        Path png = TestData.resource("/golden/rgb_31x17.png");
        float[] image = model.encodeImages(List.of(png))[0];
        HttpResponse<String> raw = post("/v1/embed/image", "image/png", Files.readAllBytes(png));
        assertEquals(200, raw.statusCode(), raw.body());
        assertArrayEquals(image, floats(Json.parseObject(raw.body()).get("embedding")));
        assertEquals(31.0, ((Number) Json.parseObject(raw.body()).get("width")).doubleValue());
        String b64 = "{\"image\": \"" + Base64.getEncoder().encodeToString(Files.readAllBytes(png)) + "\"}";
        HttpResponse<String> viaJson = post("/v1/embed/image", "application/json", b64.getBytes());
        assertArrayEquals(image, floats(Json.parseObject(viaJson.body()).get("embedding")));

        // 24 clients at once: answered each with its own embedding, in batches of more than one
        List<CompletableFuture<HttpResponse<String>>> many = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            String body = "{\"texts\": [\"a photo of number " + i + "\"]}";
            many.add(client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/embed/text")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < 24; i++) {
            HttpResponse<String> one = many.get(i).join();
            assertEquals(200, one.statusCode());
            float[] e = floats(((List<Object>) Json.parseObject(one.body()).get("embeddings")).getFirst());
            assertArrayEquals(model.encodeTexts(List.of("a photo of number " + i))[0], e);
        }
        // and 24 image uploads at once: all decoded (a few at a time) and answered
        byte[] pngBytes = Files.readAllBytes(png);
        List<CompletableFuture<HttpResponse<String>>> uploads = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            uploads.add(client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/embed/image")).header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(pngBytes)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> u : uploads) {
            assertEquals(200, u.join().statusCode(), u.join().body());
            assertArrayEquals(image, floats(Json.parseObject(u.join().body()).get("embedding")));
        }
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("clip4j_requests_total{endpoint=\"embed_text\",status=\"200\"}"), metrics);
        assertTrue(metrics.contains("clip4j_queue_depth{encoder=\"text\"}"), metrics);
        assertTrue(metrics.contains("clip4j_batches_total{encoder=\"text\",size=\"1\"}"), metrics);
        long[] sizes = server.service().texts().batchSizes();
        assertTrue(Arrays.stream(sizes, 2, sizes.length).sum() > 0, "some batch held several requests: " + Arrays.toString(sizes));
    }

    @Test
    @SuppressWarnings("unchecked")
    void classifyAndSearch() throws Exception {
        Path png = TestData.resource("/golden/rgb_31x17.png");
        String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        HttpResponse<String> c = post("/v1/classify", "application/json", ("{\"image\": \"" + b64 + "\", \"labels\": [\"cat\", \"dog\", \"car\"]}").getBytes());
        assertEquals(200, c.statusCode(), c.body());
        float[] e = model.encodeImages(List.of(png))[0];
        float[] p = ZeroShotClassifier.probabilities(ZeroShotClassifier.build(model, List.of("cat", "dog", "car"), List.of("a photo of a {}.")).logits(e));
        Map<String, Object> probs = (Map<String, Object>) Json.parseObject(c.body()).get("probs");
        assertEquals(p[1], ((Number) probs.get("dog")).floatValue());
        HttpResponse<String> raw = post("/v1/classify?labels=cat,dog,car", "image/png", Files.readAllBytes(png));
        assertEquals(c.body(), raw.body());

        HttpResponse<String> s = post("/v1/search", "application/json", ("{\"image\": \"" + b64 + "\", \"k\": 2}").getBytes());
        assertEquals(200, s.statusCode(), s.body());
        List<Object> hits = (List<Object>) Json.parseObject(s.body()).get("results");
        assertEquals(2, hits.size());
        assertTrue(((String) ((Map<String, Object>) hits.getFirst()).get("key")).endsWith("rgb_31x17.png"), s.body());
        HttpResponse<String> t = post("/v1/search", "application/json", "{\"text\": \"a photo of a cat\"}".getBytes());
        assertEquals(3, ((List<Object>) Json.parseObject(t.body()).get("results")).size(), t.body());
    }

    /** A multipart/form-data body as a browser's FormData sends it: the image part, then text fields. */
    static byte[] form(String boundary, byte[] image, String... fields) {
        var out = new java.io.ByteArrayOutputStream();
        java.util.function.Consumer<String> w = t -> out.writeBytes(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (image != null) {
            w.accept("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n");
            out.writeBytes(image);
            w.accept("\r\n");
        }
        for (int i = 0; i < fields.length; i += 2) {
            w.accept("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n" + fields[i + 1] + "\r\n");
        }
        w.accept("--" + boundary + "--\r\n");
        return out.toByteArray();
    }

    @Test
    @SuppressWarnings("unchecked")
    void formsThumbnailsAndTimeouts() throws Exception {
        Path png = TestData.resource("/golden/rgb_31x17.png");
        byte[] bytes = Files.readAllBytes(png);
        String type = "multipart/form-data; boundary=----b0undary";
        HttpResponse<String> e = post("/v1/embed/image", type, form("----b0undary", bytes));
        assertEquals(200, e.statusCode(), e.body());
        assertArrayEquals(model.encodeImages(List.of(png))[0], floats(Json.parseObject(e.body()).get("embedding")));
        HttpResponse<String> c = post("/v1/classify", type, form("----b0undary", bytes, "labels", "cat", "labels", "dog", "labels", "car"));
        assertEquals(post("/v1/classify?labels=cat,dog,car", "image/png", bytes).body(), c.body());
        HttpResponse<String> s = post("/v1/search", type, form("----b0undary", null, "text", "a photo of a cat", "k", "2"));
        assertEquals(200, s.statusCode(), s.body());
        List<Map<String, Object>> hits = (List<Map<String, Object>>) Json.parseObject(s.body()).get("results");
        assertEquals(2, hits.size());
        // malformed forms: no boundary, a cut body, k twice, k not a number
        assertEquals(400, post("/v1/embed/image", "multipart/form-data", form("x", bytes)).statusCode());
        byte[] whole = form("----b0undary", bytes);
        assertEquals(400, post("/v1/embed/image", type, Arrays.copyOf(whole, whole.length / 2)).statusCode());
        assertEquals(400, post("/v1/search", type, form("----b0undary", null, "text", "a", "k", "2", "k", "3")).statusCode());
        assertEquals(400, post("/v1/search", type, form("----b0undary", null, "text", "a", "k", "two")).statusCode());

        // thumbnails of index rows only: a JPEG no larger than 192 a side, a 404 for any other row
        HttpResponse<byte[]> t = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/thumbnail/" + hits.getFirst().get("row"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, t.statusCode());
        java.awt.image.BufferedImage thumb = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(t.body()));
        assertTrue(thumb.getWidth() <= Thumbnails.SIZE && thumb.getHeight() <= Thumbnails.SIZE && thumb.getWidth() > 0);
        for (String row : new String[]{"3", "-1", "..%2F..%2Fetc%2Fpasswd", "99999999999999999999"}) {
            assertEquals(404, get("/v1/thumbnail/" + row).statusCode(), row);
        }
        // a client's own timeout: a positive number of milliseconds
        assertEquals(200, post("/v1/embed/text?timeout_ms=5000", "application/json", "{\"texts\": [\"a\"]}".getBytes()).statusCode());
        assertEquals(400, post("/v1/embed/text?timeout_ms=-4", "application/json", "{\"texts\": [\"a\"]}".getBytes()).statusCode());
        assertTrue(get("/").body().contains("<title>clip4j search</title>"));
        assertEquals(200, get("/page/app.js").statusCode());
    }

    @Test
    void anApiKeyIsRequiredWhenSet() throws Exception {
        ClipService s = new ClipService(model, Hashing.sha256(served.file()), new ClipService.Settings(4, Duration.ZERO, 8, Duration.ofSeconds(30)), null, null);
        try (ClipServer keyed = new ClipServer(s, "127.0.0.1", 0, new HttpApi.Limits(1 << 20, 8, 100, 10, 10), "s3cret-key")) {
            String url = "http://127.0.0.1:" + keyed.port();
            byte[] body = "{\"texts\": [\"a\"]}".getBytes();
            for (String[] h : new String[][]{{}, {"Authorization", "Bearer wrong"}, {"X-API-Key", "s3cret-ke"}}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/embed/text")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                if (h.length > 0) b.header(h[0], h[1]);
                assertEquals(401, client.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            }
            for (String[] h : new String[][]{{"Authorization", "Bearer s3cret-key"}, {"X-API-Key", "s3cret-key"}}) {
                HttpRequest r = HttpRequest.newBuilder(URI.create(url + "/v1/embed/text")).header("Content-Type", "application/json").header(h[0], h[1])
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                assertEquals(200, client.send(r, HttpResponse.BodyHandlers.ofString()).statusCode());
            }
            assertEquals(401, client.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void badRequestsGetA4xxAndOneLine() throws Exception {
        Object[][] cases = {
                {"/v1/embed/text", "application/json", "{\"texts\": [", 400},
                {"/v1/embed/text", "text/plain", "hello", 415},
                {"/v1/embed/text", "application/json", "{\"texts\": []}", 400},
                {"/v1/embed/text", "application/json", "{\"texts\": [1]}", 400},
                {"/v1/embed/text", "application/json", "{\"texts\": [\"" + "x".repeat(3000) + "\"]}", 400},
                {"/v1/embed/image", "image/png", "\u0089PNG\r\n\u001a\n truncated", 400},
                {"/v1/embed/image", "application/json", "{\"image\": \"%%%\"}", 400},
                {"/v1/embed/image", "text/html", "<html>", 415},
                {"/v1/embed/text", "application/json; charset=\"", "{}", 400},
                {"/v1/search", "application/json", "{\"text\": \"a\", \"k\": 4294967297}", 400},
                {"/v1/search", "application/json", "{\"text\": \"a\", \"k\": " + "9".repeat(5000) + "}", 400},
        };
        for (Object[] c : cases) {
            HttpResponse<String> r = post((String) c[0], (String) c[1], ((String) c[2]).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertEquals(c[3], r.statusCode(), c[0] + " " + c[1] + ": " + r.body());
            String error = (String) Json.parseObject(r.body()).get("error");
            assertTrue(error != null && !error.contains("\n") && !error.contains("\tat ") && error.length() <= 300, r.body());
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) labels.add("\"l" + i + "\"");
        assertEquals(400, post("/v1/classify", "application/json", ("{\"image\": \"AAAA\", \"labels\": [" + String.join(",", labels) + "]}")
                .getBytes()).statusCode());
        assertEquals(400, post("/v1/search", "application/json", "{\"text\": \"a\", \"k\": 0}".getBytes()).statusCode());
        int big = refused(HttpRequest.BodyPublishers.ofByteArray(new byte[2 << 20]));
        assertTrue(big == 413 || big == -1, "status " + big);
        // the same sent in chunks (no Content-Length): refused as it is read
        int chunked = refused(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[2 << 20])));
        assertTrue(chunked == 413 || chunked == 400 || chunked == -1, "status " + chunked);
        assertEquals(200, get("/health").statusCode());
        // 1000 prompts of a zero-shot request go through the text batcher (64 deep here) a wave at a time
        List<String> labels1000 = new ArrayList<>();
        for (int i = 0; i < 1000; i++) labels1000.add("\"thing " + i + "\"");
        String png64 = Base64.getEncoder().encodeToString(Files.readAllBytes(TestData.resource("/golden/rgb_31x17.png")));
        HttpResponse<String> many1000 = post("/v1/classify", "application/json", ("{\"image\": \"" + png64 + "\", \"labels\": ["
                + String.join(",", labels1000) + "]}").getBytes());
        assertEquals(200, many1000.statusCode(), many1000.body());
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 65; i++) many.add("\"t\"");
        assertEquals(400, post("/v1/embed/text", "application/json", ("{\"texts\": [" + String.join(",", many) + "]}").getBytes()).statusCode());
        assertEquals(200, get("/health").statusCode());
        HttpResponse<String> none = get("/v1/nothing");
        assertEquals(404, none.statusCode());
        assertTrue(((String) Json.parseObject(none.body()).get("error")).startsWith("no such endpoint"), none.body());
        assertTrue(get("/openapi.yaml").body().contains("/v1/embed/text:"));
        Map<String, Object> m = Json.parseObject(get("/v1/model").body());
        assertEquals(model.config().embedDim(), ((Number) m.get("dims")).intValue());
    }
}
