package clip4j.collection;

import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Classifications of an index's rows as Parquet, streamed row by row: row (its place in the index), key, source,
 * label and score (the label's probability), or the item's error where it had no embedding. Written as
 * {@link MetadataFile} is (uncompressed, data pages v2: the same rows give the same bytes).
 */
public final class PredictionsFile implements AutoCloseable {
    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message clip4j_predictions {
              required int64 row;
              required binary key (STRING);
              optional binary source (STRING);
              optional binary label (STRING);
              optional float score;
              optional binary error (STRING);
            }""");

    private final ParquetWriter<Group> writer;
    private final SimpleGroupFactory rows = new SimpleGroupFactory(SCHEMA);

    public PredictionsFile(Path file) throws IOException {
        writer = ExampleParquetWriter.builder(new LocalOutputFile(file)).withType(SCHEMA).withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
                .withDictionaryEncoding(false).withWriterVersion(ParquetProperties.WriterVersion.PARQUET_2_0).build();
    }

    /** One row: label and score for a classified item, or error (label null) for one that failed. */
    public void add(long row, MetadataFile.Row item, String label, float score) throws IOException {
        Group g = rows.newGroup().append("row", row).append("key", item.key());
        if (item.source() != null) g.append("source", item.source());
        if (label != null) g.append("label", label).append("score", score);
        if (item.error() != null) g.append("error", item.error());
        writer.write(g);
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
