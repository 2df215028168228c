package clip4j.spark;

import clip4j.ClipException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The spark-submit job: what 'clip4j embed' does, on a cluster. Reads every image under the inputs (see {@link #files}),
 * embeds them with {@link ClipSpark} (the model loaded once per
 * executor from a path all of them see), optionally classifies them (zero-shot labels, or an adapter file), and
 * writes Parquet: path, embedding (array&lt;float&gt;), embedding_width, embedding_height, embedding_error[, label,
 * score]. Without a master (spark-submit's --master, or --master here) it runs in local[*].
 */
@Command(name = "clip4j-spark-embed", mixinStandardHelpOptions = true,
        description = "Embed (and classify) every image under the inputs on Spark; write Parquet.")
public final class EmbedApp implements Callable<Integer> {
    static final String IMAGES = "(?i).*\\.(jpe?g|png|webp|bmp|gif|tiff?)$";

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "clip4j model file, at a path every executor reads")
    String model;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "a folder (read recursively) or file; repeat for several")
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Parquet output folder")
    String output;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "B", description = "images per engine batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "engine threads per executor (default: all cores)")
    int threads;

    @Option(names = "--partitions", paramLabel = "N", description = "partitions of the images (default: Spark's)")
    Integer partitions;

    @Option(names = "--labels", split = ",", paramLabel = "L", description = "zero-shot labels, comma-separated: adds label and score")
    List<String> labels;

    @Option(names = "--template", paramLabel = "T", description = "prompt template(s) for --labels (default: \"a photo of a {}.\")")
    List<String> templates;

    @Option(names = "--adapter", paramLabel = "FILE", description = "an adapter file from 'clip4j adapt' (instead of --labels)")
    String adapter;

    @Option(names = "--overwrite", description = "replace OUTPUT if it exists")
    boolean overwrite;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not given by spark-submit (default: local[*])")
    String master;

    /**
     * The images: local inputs (no URI scheme, or file:) walked on the driver as 'clip4j embed' walks them (sorted,
     * links followed, loops skipped), their paths read by the executors; others (hdfs:, s3a:, …) through Spark's
     * binaryFile source, recursively, by image extension.
     */
    private Dataset<Row> files(SparkSession spark) {
        boolean local = inputs.stream().allMatch(i -> !i.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*") || i.startsWith("file:"));
        if (!local) {
            return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(inputs.toArray(String[]::new))
                    .filter(functions.col("path").rlike(IMAGES)).select("path", "content");
        }
        List<String> paths = new java.util.ArrayList<>();
        List<String> given = inputs.stream().map(i -> ClipSpark.localPath(i).toString()).toList();
        for (String g : given) if (g.toLowerCase(Locale.ROOT).endsWith(".tar")) throw new ClipException("tar shards are read by 'clip4j embed', not the Spark job: " + g);
        try (clip4j.collection.Inputs in = new clip4j.collection.Inputs(given, w -> System.err.println("clip4j-spark: warning: " + w))) {
            while (in.hasNext()) {
                clip4j.collection.Item item = in.next();
                paths.add(item.path() != null ? item.path().toAbsolutePath().toString() : item.key());
            }
        }
        return spark.createDataset(paths, org.apache.spark.sql.Encoders.STRING()).toDF("path");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the job; the exit code (0 done, 1 error, 2 bad usage), errors as one line on stderr. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new EmbedApp());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            System.err.println("clip4j-spark: error: " + (ex instanceof ClipException ? ex.getMessage() : ex.toString()).lines().findFirst().orElse(""));
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() {
        if (labels != null && adapter != null) throw new ClipException("--labels and --adapter exclude each other");
        if (!Files.isRegularFile(Path.of(model))) throw new ClipException("model file not found: " + model);
        SparkSession.Builder b = SparkSession.builder().appName("clip4j embed");
        if (master != null) b.master(master);
        else if (!new org.apache.spark.SparkConf().contains("spark.master")) b.master("local[*]");
        SparkSession spark = b.getOrCreate();
        try {
            Dataset<Row> files = files(spark);
            if (partitions != null) files = files.repartition(partitions);
            ClipSpark.Options o = new ClipSpark.Options(model, threads, batch);
            boolean bytes = java.util.Arrays.asList(files.columns()).contains("content");
            Dataset<Row> out = ClipSpark.embedImages(files, bytes ? "content" : "path", "embedding", o);
            if (bytes) out = out.drop("content");
            if (labels != null || adapter != null) {
                out = ClipSpark.classify(out, "embedding", o, labels == null ? List.of() : labels,
                        templates == null ? List.of("a photo of a {}.") : templates, adapter);
            }
            out.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(output);
            Dataset<Row> written = spark.read().parquet(output);
            long n = written.count(), failed = written.filter(functions.col("embedding_error").isNotNull()).count();
            System.err.printf(Locale.ROOT, "clip4j-spark: %d images into %s: %d embedded, %d failed%n", n, output, n - failed, failed);
            return failed > 0 ? 3 : 0;
        } finally {
            spark.stop();
        }
    }
}
