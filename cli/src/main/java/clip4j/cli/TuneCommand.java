package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.EngineOptions;
import clip4j.backend.GemmTuner;
import clip4j.backend.TunedPlans;
import clip4j.backend.VectorBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Locale;
import java.util.concurrent.Callable;

/** Times the cpu backend's GEMM plans now and keeps the fastest for this machine (what the first run does by itself). */
@Command(name = "tune", header = "Choose the cpu backend's matrix-product plan for this machine.",
        description = {"Times the candidate GEMM plans (micro-tile shape, K block, row block, column tiles per group) on "
                + "CLIP ViT-B's linear shapes, about 2 s, and keeps the fastest in the user cache for this CPU model, core "
                + "count, JDK, vector width and thread count. The first run of any command does this by itself; run it "
                + "again after changing the machine's load or settings, or use --retune on any command. Prints every "
                + "trial; the last stdout line is the choice."},
        footer = {"", "Examples:", "  clip4j tune", "  clip4j tune --threads 1 --vector-bits 256"})
final class TuneCommand implements Callable<Integer> {
    @Mixin
    EngineMixin engine;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        EngineOptions o = engine.options();
        if (!o.device().equals("cpu")) throw new ClipException("tune is for the cpu backend, not " + o.device());
        var species = VectorBackend.speciesForBits(o.vectorBits());
        GemmTuner.Result r = TunedPlans.tuneAndKeep(species, o.threads(), o.cacheDir());
        double flops = 0;
        for (int[] s : GemmTuner.SHAPES) flops += 2.0 * s[0] * s[1] * s[2];
        Output.line(String.format(Locale.ROOT, "%-24s %10s %9s", "plan", "ms", "GFLOP/s"));
        for (GemmTuner.Trial t : r.trials()) {
            Output.line(String.format(Locale.ROOT, "%-24s %10.3f %9.1f", t.plan(), t.seconds() * 1e3, flops / t.seconds() / 1e9));
        }
        Output.line(String.format(Locale.ROOT, "tuned in %.2f s for %s", r.seconds(), TunedPlans.key(species, o.threads())));
        Output.line("plan " + r.best());
        return 0;
    }
}
