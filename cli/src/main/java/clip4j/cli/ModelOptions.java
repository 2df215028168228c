package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.model.ClipModel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the commands that compute: the model file and how to run the engine. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "clip4j model file (from 'clip4j convert')")
    Path model;

    @Mixin
    EngineMixin engine;

    /** The backend, once the model file is known to exist (a wrong path is said before anything is set up). */
    Backend backend() {
        if (!java.nio.file.Files.isRegularFile(model)) throw new clip4j.ClipException("model file not found: " + model);
        return engine.backend();
    }

    ClipModel load(Backend backend) {
        long t0 = System.nanoTime();
        ClipModel m = ClipModel.load(model, backend);
        Log.info(String.format("loaded %s in %.0f ms: %s", model, (System.nanoTime() - t0) / 1e6, m.config()));
        return m;
    }
}
