package clip4j.cli;

import clip4j.ClipException;
import clip4j.backend.EngineOptions;
import clip4j.backend.GemmTuner;
import clip4j.backend.TunedPlans;
import clip4j.backend.VectorBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Times the cpu backend's GEMM plans now and keeps the fastest for this machine (what the first run does by itself),
 * and, unless a width is given, the vector widths against each other.
 */
@Command(name = "tune", header = "Choose the cpu backend's matrix-product plan and vector width for this machine.",
        description = {"Times the candidate GEMM plans (micro-tile shape, K block, row block, column tiles per group, the "
                + "threads' split of the rows) on CLIP ViT-B's linear shapes, about 2 s, and keeps the fastest in the user "
                + "cache for this CPU model, core count, JDK, vector width and thread count. The first run of any command "
                + "does this by itself at the JVM's preferred width; this command also times the widths worth comparing "
                + "(256 and 512 bits on a CPU with AVX-512, each in a JVM of its own so that neither's compiled kernels "
                + "slow the other) and keeps the faster width for later commands. Run it again after changing the machine's "
                + "load or settings, or use --retune on any command. Prints every trial; the last stdout line is the "
                + "choice."},
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
        List<Integer> widths = TunedPlans.widths();
        if (o.vectorBits() != 0 || widths.size() == 1) {
            tune(o, o.vectorBits());
            return 0;
        }
        // each width in a JVM of its own; the faster width's plan is the choice
        int bestBits = 0;
        double bestMs = Double.MAX_VALUE;
        String bestPlan = null;
        List<String> summary = new ArrayList<>();
        for (int bits : widths) {
            List<String> lines = tuneInChild(o, bits);
            double ms = Double.MAX_VALUE;
            for (String l : lines) {
                Output.line(l);
                String[] f = l.trim().split("\\s+");
                if (f.length >= 3 && f[f.length - 2].matches("\\d+\\.\\d+")) ms = Math.min(ms, Double.parseDouble(f[f.length - 2]));
            }
            String plan = lines.isEmpty() ? "" : lines.getLast();
            if (ms == Double.MAX_VALUE || !plan.startsWith("plan ")) throw new ClipException("the " + bits + "-bit tuning printed no plan");
            summary.add(String.format(Locale.ROOT, "%d-bit: %.3f ms, %.1f GFLOP/s (%s)", bits, ms, flops() / ms / 1e6, plan));
            if (ms < bestMs) {
                bestMs = ms;
                bestBits = bits;
                bestPlan = plan;
            }
        }
        summary.forEach(Output::line);
        Output.line("vector width " + bestBits + " (" + TunedPlans.keepWidth(o.threads(), bestBits, o.cacheDir()) + ")");
        Output.line(bestPlan);
        return 0;
    }

    /** Tunes at one width in this JVM and prints the trials, the key and, last, the plan. */
    private static void tune(EngineOptions o, int bits) {
        var species = VectorBackend.speciesForBits(bits);
        GemmTuner.Result r = TunedPlans.tuneAndKeep(species, o.threads(), o.cacheDir());
        Output.line(String.format(Locale.ROOT, "%-28s %10s %9s", "plan", "ms", "GFLOP/s"));
        for (GemmTuner.Trial t : r.trials()) {
            Output.line(String.format(Locale.ROOT, "%-28s %10.3f %9.1f", t.plan(), t.seconds() * 1e3, flops() / t.seconds() / 1e9));
        }
        Output.line(String.format(Locale.ROOT, "tuned in %.2f s for %s", r.seconds(), TunedPlans.key(species, o.threads())));
        Output.line("plan " + r.best());
    }

    /** The floating-point operations of one trial: the tuner's three products. */
    private static double flops() {
        double flops = 0;
        for (int[] s : GemmTuner.SHAPES) flops += 2.0 * s[0] * s[1] * s[2];
        return flops;
    }

    /**
     * Runs 'clip4j tune --vector-bits BITS' in a new JVM with this one's flags and class path (the same user cache, from
     * the environment), and returns its stdout lines. The JVM's AOT recording flags are left out (the launcher's
     * recording run would otherwise be overwritten by the child's).
     */
    private static List<String> tuneInChild(EngineOptions o, int bits) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-XX:AOTMode") && !a.startsWith("-XX:AOTConfiguration") && !a.startsWith("-XX:AOTCacheOutput")) cmd.add(a);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "tune", "--vector-bits",
                Integer.toString(bits), "--threads", Integer.toString(o.threads()), "--quiet"));
        try {
            Process p = new ProcessBuilder(cmd).start();
            p.getOutputStream().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
                try (var in = p.getErrorStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.getMessage();
                }
            });
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            int code = p.waitFor();
            if (code != 0) {
                List<String> errs = err.join().lines().filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
                throw new ClipException("tuning at " + bits + " bits failed (exit " + code + ")" + (errs.isEmpty() ? "" : ": " + errs.getLast()));
            }
            return out.lines().toList();
        } catch (IOException e) {
            throw new ClipException("cannot start a JVM to tune at " + bits + " bits: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("interrupted while tuning at " + bits + " bits");
        }
    }
}
