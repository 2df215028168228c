package clip4j.cli;

import clip4j.convert.Converter;
import clip4j.io.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "convert", header = "Convert a CLIP checkpoint (OpenAI, open_clip, Hugging Face) to a clip4j model file.",
        description = {"Converts a CLIP checkpoint to a clip4j model file (safetensors with the config and the tokenizer "
                + "inside). Reads OpenAI TorchScript archives (ViT-B-32.pt), torch.save zips (.pt/.pth/.bin, plain or "
                + "{\"state_dict\": ...}), safetensors with Hugging Face or OpenAI/open_clip names, and Hugging Face "
                + "directories (config.json + model.safetensors or pytorch_model.bin). Pickles are read by an allow-list "
                + "unpickler that never executes code. The output is written to a temporary file and renamed.",
                "",
                "Checkpoints other than Hugging Face directories carry no tokenizer: the BPE vocabulary is then taken "
                        + "from --bpe, $CLIP4J_BPE, the user cache, or downloaded once from github.com/openai/CLIP and "
                        + "checked against its SHA-256 ($CLIP4J_OFFLINE=1 forbids the download; --no-bpe converts for "
                        + "images only)."},
        footer = {"", "Examples:", "  clip4j convert --input ViT-B-32.pt --output vit-b-32.safetensors",
                "  clip4j convert --input open_clip_pytorch_model.bin --arch ViT-B-32 \\",
                "      --output laion-b32.safetensors --dtype f16",
                "  clip4j convert --input ./clip-vit-base-patch32 --output hf-b32.safetensors"})
final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "checkpoint file or Hugging Face directory")
    Path input;

    @Option(names = "--output", required = true, description = "model file to write")
    Path output;

    @Option(names = "--arch", description = "open_clip architecture name, needed when the checkpoint cannot tell its activation: "
            + "ViT-B-32 = exact GELU (LAION), ViT-B-32-quickgelu = QuickGELU (OpenAI); also ViT-B-16, ViT-L-14, ViT-L-14-336")
    String arch;

    @Option(names = "--bpe", description = "OpenAI's bpe_simple_vocab_16e6.txt.gz, embedded for tokenizing (replaces a Hugging Face "
            + "directory's merges.txt)")
    Path bpe;

    @Option(names = "--no-bpe", description = "convert without a tokenizer when the checkpoint has none (image embeddings only)")
    boolean noBpe;

    @Option(names = "--dtype", defaultValue = "f32", description = "weight storage: f32, f16 or bf16")
    String dtype;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        DType storage = DType.ofFlag(dtype);
        if (bpe != null && noBpe) throw new clip4j.ClipException("--bpe and --no-bpe exclude each other");
        Converter.convert(input, output, arch, bpe, () -> noBpe ? null : BpeVocabulary.fromEnvironment().require(null), storage);
        return 0;
    }
}
