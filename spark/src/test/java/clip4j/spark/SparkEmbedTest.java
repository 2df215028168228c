package clip4j.spark;

import clip4j.backend.VectorBackend;
import clip4j.collection.EmbedJob;
import clip4j.collection.Npy;
import clip4j.io.DType;
import clip4j.model.ClipModel;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark job in local[2] against 'clip4j embed' on the same images: the same embeddings bit for bit, failures
 * recorded per row, classification columns; Spark reads the CLI's Parquet metadata; text embeddings as a column.
 */
class SparkEmbedTest {
    @Test
    void theSparkJobEmbedsWhatTheCliEmbeds(@TempDir Path dir) throws Exception {
        Path images = dir.resolve("images").toAbsolutePath();
        Files.createDirectories(images.resolve("sub"));
        for (int i = 0; i < 13; i++) {
            BufferedImage img = new BufferedImage(20 + 3 * i, 33 - i, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) img.setRGB(x, y, (x * 31 + i * 7) << 16 | (y * 17) << 8 | (x ^ y) * 5);
            String fmt = i % 4 == 0 ? "jpg" : "png";
            ImageIO.write(img, fmt.equals("jpg") ? "jpeg" : "png", (i % 3 == 0 ? images.resolve("sub") : images).resolve("i" + i + "." + fmt).toFile());
        }
        Files.writeString(images.resolve("broken.png"), "not a png");
        Files.writeString(images.resolve("notes.txt"), "not an image");
        Path model = TestData.seededModelWithText("test-tiny-quickgelu", 1);

        // what 'clip4j embed' writes
        Path cli = dir.resolve("cli");
        Map<String, float[]> cliRows = new HashMap<>();
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 1); ClipModel m = ClipModel.load(model, be)) {
            EmbedJob.run(m, new EmbedJob.Options(List.of(images.toString()), cli, 4, 100, Npy.DType.F32, 1, false), new EmbedJob.Listener() {
                public void resumed(long items, long failed) {
                }

                public void done(int items, int failed) {
                }

                public void warning(String line) {
                }
            });
        }
        Npy.Header h = Npy.readHeader(cli.resolve("embeddings-00000.npy"));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(cli.resolve("embeddings-00000.npy"))).order(ByteOrder.LITTLE_ENDIAN).position((int) h.dataOffset());
        List<clip4j.collection.MetadataFile.Row> meta = clip4j.collection.MetadataFile.read(cli.resolve("metadata-00000.parquet"));
        for (var r : meta) {
            float[] v = new float[h.dims()];
            for (int j = 0; j < v.length; j++) v[j] = b.getFloat();
            cliRows.put(r.key(), r.ok() ? v : null);
        }
        assertEquals(14, cliRows.size());

        Path out = dir.resolve("spark-out");
        int rc = EmbedApp.run("--model", model.toString(), "--input", images.toString(), "--output", out.toString(), "--master", "local[2]",
                "--batch", "3", "--threads", "1", "--partitions", "3", "--labels", "red,green,blue");
        assertEquals(3, rc, "one image fails");

        SparkSession spark = SparkSession.builder().master("local[1]").appName("check").config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
            assertEquals(14, rows.size());
            for (Row r : rows) {
                String key = ClipSpark.localPath(r.getAs("path")).toString();
                assertTrue(cliRows.containsKey(key), key);
                float[] want = cliRows.get(key);
                if (want == null) {
                    assertNull(r.getAs("embedding"));
                    assertNotNull(r.getAs("embedding_error"), key);
                    continue;
                }
                scala.collection.Seq<Float> got = r.getAs("embedding");
                float[] g = new float[got.length()];
                for (int j = 0; j < g.length; j++) g[j] = got.apply(j);
                assertArrayEquals(want, g, key);
                assertTrue(List.of("red", "green", "blue").contains(r.<String>getAs("label")));
                assertTrue((Float) r.getAs("score") > 1f / 3 - 1e-6);
            }
            // the DataFrame API on Spark's binaryFile source (image bytes): the same embeddings
            Dataset<Row> bin = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(images.toString())
                    .filter(org.apache.spark.sql.functions.col("path").rlike(EmbedApp.IMAGES));
            List<Row> viaBytes = ClipSpark.embedImages(bin, "content", "e", new ClipSpark.Options(model.toString(), 1, 5)).collectAsList();
            assertEquals(14, viaBytes.size());
            for (Row r : viaBytes) {
                float[] want = cliRows.get(ClipSpark.localPath(r.getAs("path")).toString());
                if (want == null) {
                    assertTrue(r.<String>getAs("e_error").contains("broken.png"), r.toString());
                    continue;
                }
                scala.collection.Seq<Float> got = r.getAs("e");
                for (int j = 0; j < want.length; j++) assertEquals(Float.floatToRawIntBits(want[j]), Float.floatToRawIntBits(got.apply(j)));
                assertEquals(r.<Integer>getAs("e_width") > 0, true);
            }

            // the CLI's metadata, read by Spark
            Dataset<Row> cliMeta = spark.read().parquet(cli.resolve("metadata-00000.parquet").toString());
            assertEquals(14, cliMeta.count());
            assertEquals(1, cliMeta.filter("error is not null").count());

            // a text column
            StructType schema = new StructType().add("caption", DataTypes.StringType, true);
            Dataset<Row> texts = spark.createDataFrame(List.of(RowFactory.create("a photo of a cat"), RowFactory.create((Object) null),
                    RowFactory.create("a dog")), schema);
            List<Row> te = ClipSpark.embedTexts(texts, "caption", "e", new ClipSpark.Options(model.toString(), 1, 2)).collectAsList();
            try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 1); ClipModel m = ClipModel.load(model, be)) {
                float[][] want = m.encodeTexts(List.of("a photo of a cat", "a dog"));
                for (int i : new int[]{0, 2}) {
                    scala.collection.Seq<Float> got = te.get(i).getAs("e");
                    float[] g = new float[got.length()];
                    for (int j = 0; j < g.length; j++) g[j] = got.apply(j);
                    assertArrayEquals(want[i / 2], g);
                }
                assertNull(te.get(1).getAs("e"));
            }
        } finally {
            spark.stop();
        }
    }
}
