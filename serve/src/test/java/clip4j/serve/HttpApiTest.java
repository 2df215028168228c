package clip4j.serve;

import clip4j.backend.VectorBackend;
import clip4j.collection.EmbedJob;
import clip4j.collection.Index;
import clip4j.collection.Npy;
import clip4j.io.DType;
import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import clip4j.testing.TestData;
import clip4j.util.Json;
import clip4j.zeroshot.ZeroShotClassifier;
import jdk.incubator.vector.FloatVector;
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
    static VectorBackend backend;
    static ClipModel model;
    static ClipServer server;
    static HttpClient client = HttpClient.newHttpClient();
    static String base;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Path file = TestData.seededModelWithText("test-tiny-quickgelu", 6);
        backend = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2);
        model = ClipModel.load(file, backend);
        // an index of three images
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        for (String g : new String[]{"rgb_31x17.png", "rgba_301x200.png", "l_150x260.png"}) {
            Files.copy(TestData.resource("/golden/" + g), images.resolve(g));
        }
        EmbedJob.run(model, new EmbedJob.Options(List.of(images.toString()), tmp.resolve("index"), 4, 10, Npy.DType.F32, 1, false),
                new EmbedJob.Listener() {
                    public void resumed(long items, long failed) {
                    }

                    public void done(int items, int failed) {
                    }

                    public void warning(String line) {
                    }
                });
        ClipService service = new ClipService(model, Hashing.sha256(file), new ClipService.Settings(8, Duration.ofMillis(20), 64, Duration.ofSeconds(30)),
                Index.open(tmp.resolve("index"), 1, 0), null);
        server = new ClipServer(service, "127.0.0.1", 0, new HttpApi.Limits(1 << 20, 64, 2000, 1000, 100), null);
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
        backend.close();
    }

    static HttpResponse<String> post(String path, String type, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
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
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("clip4j_requests_total{endpoint=\"embed_text\",status=\"200\"}"), metrics);
        assertTrue(metrics.contains("clip4j_queue_depth_text"), metrics);
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

    @Test
    void anApiKeyIsRequiredWhenSet() throws Exception {
        Path file = TestData.seededModelWithText("test-tiny-quickgelu", 6);
        ClipService s = new ClipService(model, Hashing.sha256(file), new ClipService.Settings(4, Duration.ZERO, 8, Duration.ofSeconds(30)), null, null);
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
        };
        for (Object[] c : cases) {
            HttpResponse<String> r = post((String) c[0], (String) c[1], ((String) c[2]).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            assertEquals(c[3], r.statusCode(), c[0] + " " + c[1] + ": " + r.body());
            String error = (String) Json.parseObject(r.body()).get("error");
            assertTrue(error != null && !error.contains("\n") && !error.contains("\tat "), r.body());
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) labels.add("\"l" + i + "\"");
        assertEquals(400, post("/v1/classify", "application/json", ("{\"image\": \"AAAA\", \"labels\": [" + String.join(",", labels) + "]}")
                .getBytes()).statusCode());
        assertEquals(400, post("/v1/search", "application/json", "{\"text\": \"a\", \"k\": 0}".getBytes()).statusCode());
        HttpResponse<String> big = post("/v1/embed/image", "image/png", new byte[2 << 20]);
        assertEquals(413, big.statusCode(), big.body());
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 65; i++) many.add("\"t\"");
        assertEquals(400, post("/v1/embed/text", "application/json", ("{\"texts\": [" + String.join(",", many) + "]}").getBytes()).statusCode());
        assertEquals(200, get("/health").statusCode());
        assertTrue(get("/openapi.yaml").body().contains("/v1/embed/text:"));
        Map<String, Object> m = Json.parseObject(get("/v1/model").body());
        assertEquals(model.config().embedDim(), ((Number) m.get("dims")).intValue());
    }
}
