package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.model.ClipModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the commands that compute: the model file, device, threads, verbosity. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "clip4j model file (from 'clip4j convert')")
    Path model;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu (Vector API, default), cpu-reference, or cuda")
    String device;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    Backend backend() {
        return Backends.create(device, threads == null ? Backends.defaultThreads() : threads);
    }

    ClipModel load(Backend backend) {
        long t0 = System.nanoTime();
        ClipModel m = ClipModel.load(model, backend);
        clip4j.util.Log.info(String.format("loaded %s in %.0f ms: %s", model, (System.nanoTime() - t0) / 1e6, m.config()));
        return m;
    }
}
