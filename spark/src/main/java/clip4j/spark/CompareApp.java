package clip4j.spark;

import clip4j.collection.Index;
import clip4j.collection.MetadataFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks the job's Parquet output against a 'clip4j embed' folder of the same images: rows matched by path, each
 * embedding compared bit for bit, failures matched. Prints the counts; exit 0 when every row matches, 1 otherwise.
 * Usage: CompareApp SPARK_OUTPUT EMBED_FOLDER.
 */
public final class CompareApp {
    private CompareApp() {
    }

    public static void main(String[] args) {
        Map<String, Long> rows = new HashMap<>();
        SparkSession spark = SparkSession.builder().master("local[1]").appName("clip4j compare").getOrCreate();
        long same = 0, differ = 0, missing = 0;
        try (Index idx = Index.open(Path.of(args[1]), 1, 0)) {
            for (long r = 0; r < idx.size(); r++) rows.put(Path.of(idx.item(r).key()).toAbsolutePath().toString(), r);
            float[] want = new float[idx.dims()];
            Iterator<Row> it = spark.read().parquet(args[0]).select("path", "embedding").toLocalIterator();
            while (it.hasNext()) {
                Row r = it.next();
                Long row = rows.remove(ClipSpark.localPath(r.getString(0)).toAbsolutePath().toString());
                if (row == null) {
                    missing++;
                    continue;
                }
                MetadataFile.Row item = idx.item(row);
                boolean ok;
                if (r.isNullAt(1)) {
                    ok = !item.ok();
                } else {
                    idx.vector(row, want);
                    scala.collection.Seq<?> got = r.getSeq(1);
                    ok = item.ok() && got.length() == want.length;
                    for (int j = 0; ok && j < want.length; j++) ok = Float.floatToRawIntBits(want[j]) == Float.floatToRawIntBits((Float) got.apply(j));
                }
                if (ok) same++;
                else differ++;
            }
        } finally {
            spark.stop();
        }
        System.out.printf("%d rows bit-identical, %d differ, %d only in the Spark output, %d only in the embed folder%n", same, differ, missing, rows.size());
        System.exit(differ == 0 && missing == 0 && rows.isEmpty() ? 0 : 1);
    }
}
