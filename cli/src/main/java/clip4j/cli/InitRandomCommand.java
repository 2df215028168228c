package clip4j.cli;

import clip4j.convert.RandomModel;
import clip4j.model.Architectures;
import clip4j.model.ClipConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "init-random", header = "Write a seeded random-weight CLIP as a Hugging Face or open_clip directory.",
        description = {"Writes a seeded RANDOM-weight CLIP as a Hugging Face directory (config.json, model.safetensors, "
                + "vocab.json, merges.txt), or for a ResNet (which Hugging Face's CLIPModel cannot hold) as an open_clip "
                + "directory (open_clip_config.json, open_clip_model.safetensors, merges.txt), for tests, demos and "
                + "benchmarks; 'clip4j convert' turns it into a model file, which remembers that its weights are random. "
                + "The same seed gives the same weights on every machine.",
                "",
                "Vocabulary: OpenAI's bpe_simple_vocab_16e6.txt.gz when found (--bpe, $CLIP4J_BPE, the user cache, or a "
                        + "download checked against its SHA-256), otherwise, with a warning, a smaller vocabulary clip4j "
                        + "learns from its own corpus (the token embedding then has fewer rows)."},
        footer = {"", "Examples:", "  clip4j init-random --arch ViT-B-32-quickgelu --seed 0 --output random-b32/",
                "  clip4j init-random --arch RN50-quickgelu --output random-rn50/",
                "  clip4j convert --input random-b32/ --output random-b32.safetensors"})
final class InitRandomCommand implements Callable<Integer> {
    @Option(names = "--arch", required = true, description = "ViT-B-32, ViT-B-16, ViT-L-14, ViT-L-14-336, RN50, RN101, "
            + "RN50x4, RN50x16, RN50x64, test-tiny or test-tiny-rn; a -quickgelu suffix for QuickGELU (OpenAI's activation)")
    String arch;

    @Option(names = "--seed", defaultValue = "0", description = "weight seed")
    long seed;

    @Option(names = "--output", required = true, description = "directory to write")
    Path output;

    @Option(names = "--bpe", description = "OpenAI's bpe_simple_vocab_16e6.txt.gz")
    Path bpe;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        BpeVocabulary.ForRandomWeights vocab = BpeVocabulary.fromEnvironment().forRandomWeights(bpe);
        if (!vocab.openai()) Log.warn("vocabulary: " + vocab.description());
        ClipConfig c = RandomModel.write(Architectures.byName(arch), seed, output, vocab.merges());
        Log.info("wrote random-weight " + c + " (seed " + seed + ") to " + output);
        return 0;
    }
}
