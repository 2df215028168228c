package clip4j.serve;

import clip4j.backend.VectorBackend;
import clip4j.collection.EmbedJob;
import clip4j.collection.Index;
import clip4j.collection.Npy;
import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A seeded tiny model served with an index of three test images (the tests' server), on a free port. */
record TestServer(VectorBackend backend, ClipModel model, Path file, ClipServer server, String base) implements AutoCloseable {
    static final String[] IMAGES = {"rgb_31x17.png", "rgba_301x200.png", "l_150x260.png"};

    static TestServer start(Path tmp) {
        return start(tmp, null);
    }

    /** @param apiKey the key requests must carry, or null */
    static TestServer start(Path tmp, String apiKey) {
        Path file = TestData.seededModelWithText("test-tiny-quickgelu", 6);
        VectorBackend backend = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2);
        ClipModel model = ClipModel.load(file, backend);
        try {
            Path images = tmp.resolve("images");
            Files.createDirectories(images);
            for (String g : IMAGES) Files.copy(TestData.resource("/golden/" + g), images.resolve(g));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        EmbedJob.run(model, new EmbedJob.Options(List.of(tmp.resolve("images").toString()), tmp.resolve("index"), 4, 10, Npy.DType.F32, 1, false),
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
        ClipServer server = new ClipServer(service, "127.0.0.1", 0, new HttpApi.Limits(1 << 20, 64, 2000, 1000, 100), apiKey);
        return new TestServer(backend, model, file, server, "http://127.0.0.1:" + server.port());
    }

    @Override
    public void close() {
        server.close();
        model.close();
        backend.close();
    }
}
