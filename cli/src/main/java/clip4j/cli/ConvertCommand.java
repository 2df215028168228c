package clip4j.cli;

import clip4j.convert.Converter;
import clip4j.io.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "convert", description = "Convert a CLIP checkpoint (OpenAI .pt, torch.save, safetensors, Hugging Face or open_clip) to a clip4j model file.")
final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "checkpoint file or Hugging Face directory")
    Path input;

    @Option(names = "--output", required = true, description = "model file to write")
    Path output;

    @Option(names = "--arch", description = "open_clip architecture name when the checkpoint cannot tell (ViT-B-32 = GELU, ViT-B-32-quickgelu = QuickGELU)")
    String arch;

    @Option(names = "--bpe", description = "OpenAI's bpe_simple_vocab_16e6.txt.gz, embedded for tokenizing")
    Path bpe;

    @Option(names = "--dtype", defaultValue = "f32", description = "weight storage: f32, f16 or bf16")
    String dtype;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        Converter.convert(input, output, arch, bpe, DType.ofFlag(dtype));
        return 0;
    }
}
