package clip4j.bench;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.backend.EngineOptions;
import clip4j.io.DType;
import clip4j.model.ClipConfig;
import clip4j.model.ClipModel;
import clip4j.model.SeededWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmarks' shared set-up: a seeded model written to a temporary file, a backend from the options, the model
 * loaded on it; closing it releases all three. JMH states create one in their trial set-up.
 */
record SeededModel(Path file, Backend backend, ClipModel model) implements AutoCloseable {
    static SeededModel open(ClipConfig c, String bpeMerges, DType dtype, EngineOptions options) throws IOException {
        Path file = SeededWeights.writeTempModel(c, 0, bpeMerges, dtype);
        Backend be = null;
        try {
            be = Backends.create(options);
            return new SeededModel(file, be, ClipModel.load(file, be));
        } catch (RuntimeException e) {
            if (be != null) be.close();
            Files.deleteIfExists(file);
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        model.close();
        backend.close();
        Files.deleteIfExists(file);
    }
}
