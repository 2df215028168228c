package clip4j.cli;

import picocli.CommandLine.Option;

/** The few-shot protocol's grid: shots per class and sampling seeds. */
final class SamplingOptions {
    @Option(names = "--shots", paramLabel = "K", split = ",", defaultValue = "1,2,4,8,16", description = "shots per class, comma-separated")
    int[] shots;

    @Option(names = "--seeds", paramLabel = "S", split = ",", defaultValue = "1,2,3", description = "sampling seeds, comma-separated")
    long[] seeds;
}
