package clip4j.cli;

import clip4j.backend.Backend;
import clip4j.backend.Backends;
import clip4j.model.ClipModel;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the commands that compute: the model file, device, threads. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "clip4j model file (from 'clip4j convert')")
    Path model;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "NAME", description = "cpu (Vector API), cpu-reference (plain Java, slow) or cuda "
            + "(NVIDIA GPU, driver 580+)")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

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
