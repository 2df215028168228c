package clip4j.collection;

import clip4j.ClipException;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A shard's metadata as Parquet, one row per row of its embeddings: the item's key (a file's path, a tar member's
 * name, or a text's row in its table), its source (the tar shard or the table, null for a file), an image's width and
 * height or a text and its token count (and whether it was cut to CLIP's context), and for an item that could not be
 * embedded the reason (its embedding row is then all zeros). Uncompressed, so any Parquet reader opens it without a
 * codec; no timestamps, so the same rows give the same bytes. Data pages v2 without dictionaries: each column chunk
 * then lists one encoding, because parquet-java collects a chunk's encodings in a hash set of enum constants whose
 * order (identity hashes) changes from one JVM to the next, and two listed would make the same rows' files differ.
 */
public final class MetadataFile {
    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message clip4j_metadata {
              required binary key (STRING);
              optional binary source (STRING);
              optional int32 width;
              optional int32 height;
              optional binary error (STRING);
            }"""), TEXT_SCHEMA = MessageTypeParser.parseMessageType("""
            message clip4j_text_metadata {
              required binary key (STRING);
              optional binary source (STRING);
              optional binary text (STRING);
              optional int32 tokens;
              optional boolean truncated;
              optional binary error (STRING);
            }""");

    private MetadataFile() {
    }

    /**
     * One item: an image's width and height (-1 where unknown) or a text (null for an image) with its token count and
     * whether it was cut; error is null for an embedded item.
     */
    public record Row(String key, String source, int width, int height, String text, int tokens, boolean truncated, String error) {
        /** An image's row. */
        public Row(String key, String source, int width, int height, String error) {
            this(key, source, width, height, null, -1, false, error);
        }

        public boolean ok() {
            return error == null;
        }
    }

    /** rows to file, as images' metadata or (texts) texts'. */
    public static void write(Path file, List<Row> rows, boolean texts) throws IOException {
        MessageType schema = texts ? TEXT_SCHEMA : SCHEMA;
        SimpleGroupFactory f = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file)).withType(schema)
                .withConf(new PlainParquetConfiguration()).withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.UNCOMPRESSED).withDictionaryEncoding(false)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_2_0).build()) {
            for (Row r : rows) {
                Group g = f.newGroup().append("key", r.key());
                if (r.source() != null) g.append("source", r.source());
                if (texts && r.text() != null) g.append("text", r.text()).append("tokens", r.tokens()).append("truncated", r.truncated());
                if (!texts && r.width() >= 0) g.append("width", r.width()).append("height", r.height());
                if (r.error() != null) g.append("error", r.error());
                w.write(g);
            }
        }
    }

    public static List<Row> read(Path file) {
        List<Row> rows = new ArrayList<>();
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file), ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
            MessageType schema = r.getFooter().getFileMetaData().getSchema();
            boolean texts = schema.equals(TEXT_SCHEMA);
            if (!texts && !schema.equals(SCHEMA)) throw new ClipException("not a clip4j metadata file (its schema differs): " + file);
            PageReadStore pages;
            while ((pages = r.readNextRowGroup()) != null) {
                RecordReader<Group> rr = new ColumnIOFactory().getColumnIO(schema).getRecordReader(pages, new GroupRecordConverter(schema));
                for (long i = 0, n = pages.getRowCount(); i < n; i++) {
                    Group g = rr.read();
                    String key = g.getString("key", 0), source = string(g, "source"), error = string(g, "error");
                    if (texts) {
                        boolean has = g.getFieldRepetitionCount("text") > 0;
                        rows.add(new Row(key, source, -1, -1, string(g, "text"), has ? g.getInteger("tokens", 0) : -1,
                                has && g.getBoolean("truncated", 0), error));
                    } else {
                        boolean sized = g.getFieldRepetitionCount("width") > 0;
                        rows.add(new Row(key, source, sized ? g.getInteger("width", 0) : -1, sized ? g.getInteger("height", 0) : -1, error));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ClipException ce) throw ce;
            throw new ClipException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return rows;
    }

    private static String string(Group g, String field) {
        return g.getFieldRepetitionCount(field) > 0 ? g.getString(field, 0) : null;
    }
}
