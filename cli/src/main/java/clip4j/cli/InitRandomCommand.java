package clip4j.cli;

import clip4j.convert.RandomModel;
import clip4j.model.Architectures;
import clip4j.model.ClipConfig;
import clip4j.text.ClipTokenizer;
import clip4j.util.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "init-random", description = "Write a seeded random-weight CLIP as a Hugging Face directory (for tests, demos, benchmarks).")
final class InitRandomCommand implements Callable<Integer> {
    @Option(names = "--arch", required = true, description = "ViT-B-32, ViT-B-16, ViT-L-14, ViT-L-14-336, test-tiny; -quickgelu suffix for QuickGELU")
    String arch;

    @Option(names = "--seed", required = true)
    long seed;

    @Option(names = "--output", required = true, description = "directory to write")
    Path output;

    @Option(names = "--bpe", description = "bpe_simple_vocab_16e6.txt.gz, written as vocab.json + merges.txt")
    Path bpe;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        ClipConfig c = Architectures.byName(arch);
        RandomModel.writeHfDirectory(c, seed, output, bpe == null ? null : ClipTokenizer.readMerges(bpe));
        Log.info("wrote random-weight " + c + " (seed " + seed + ") to " + output);
        return 0;
    }
}
