package clip4j.collection;

import clip4j.ClipException;
import clip4j.util.Json;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * The texts of a collection, one {@link Item} per row of its tables, in order: JSON lines (.jsonl, .ndjson: one
 * object per line), CSV (.csv, with a header row; .tsv tab-separated) and Parquet (.parquet), the named column of each
 * row. A row whose column is missing, not a string, or too long is an item that failed, with the reason; its key is
 * "TABLE:ROW" (rows from 1, JSON lines by line). A line or cell longer than {@link #MAX_CHARS} is not read whole.
 */
public final class TextInputs extends ChainedItems {
    /** Longer texts are refused: CLIP reads 77 tokens, a few hundred characters. */
    static final int MAX_CHARS = 1 << 16;

    private final String column;

    public TextInputs(List<String> tables, String column) {
        super(tables);
        this.column = column;
    }


    @Override
    Iterator<Item> open(String table) {
        Path p = Path.of(table);
        if (!Files.isRegularFile(p)) throw new ClipException("table not found: " + table);
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) return jsonLines(p, table);
            if (name.endsWith(".csv") || name.endsWith(".tsv")) return csv(p, table, name.endsWith(".tsv"));
            if (name.endsWith(".parquet")) return parquet(p, table);
        } catch (IOException e) {
            throw new ClipException("cannot read " + table + ": " + e.getMessage(), e);
        }
        throw new ClipException("texts are read from .jsonl, .csv, .tsv or .parquet tables, not " + table);
    }

    private Item text(String table, long row, String value) {
        String key = table + ":" + row;
        if (value == null) return Item.failed(key, table, "no text in column " + column);
        if (value.length() > MAX_CHARS) return Item.failed(key, table, "a text of " + value.length() + " characters, over " + MAX_CHARS);
        return Item.text(table, key, value);
    }

    private Iterator<Item> jsonLines(Path p, String table) throws IOException {
        BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8);
        opened = r;
        return new Advancing<>() {
            long line;

            @Override
            Item advance() {
                while (true) {
                    String l;
                    try {
                        l = boundedLine(r);
                    } catch (IOException e) {
                        throw new ClipException("cannot read " + table + ": " + e.getMessage(), e);
                    }
                    line++;
                    if (l == null) return null;
                    if (l.isBlank()) continue;
                    if (l.length() > MAX_CHARS) return Item.failed(table + ":" + line, table, "a line over " + MAX_CHARS + " characters");
                    try {
                        Object v = Json.parseObject(l).get(column);
                        return v instanceof String s ? text(table, line, s)
                                : Item.failed(table + ":" + line, table, v == null ? "no column " + column : "column " + column + " is not a string");
                    } catch (IllegalArgumentException | ClipException e) {
                        return Item.failed(table + ":" + line, table, "not a JSON object: " + e.getMessage());
                    }
                }
            }
        };
    }

    /** A line, or MAX_CHARS + 1 of it when longer (the rest skipped), or null at the end. */
    static String boundedLine(Reader r) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        boolean any = false;
        while ((c = r.read()) >= 0) {
            any = true;
            if (c == '\n') break;
            if (b.length() <= MAX_CHARS) b.append((char) c);
        }
        if (!any) return null;
        int n = b.length();
        if (n > 0 && b.charAt(n - 1) == '\r') b.setLength(n - 1);
        return b.toString();
    }

    private Iterator<Item> csv(Path p, String table, boolean tabs) throws IOException {
        CSVFormat f = (tabs ? CSVFormat.TDF : CSVFormat.RFC4180).builder().setHeader().setSkipHeaderRecord(true).setMaxRows(0)
                .setIgnoreEmptyLines(true).get();
        CSVParser parser = CSVParser.parse(p, StandardCharsets.UTF_8, f);
        opened = parser;
        if (!parser.getHeaderMap().containsKey(column)) throw new ClipException(table + " has no column " + column + " (its header: " + parser.getHeaderNames() + ")");
        Iterator<CSVRecord> it = parser.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return it.hasNext();
                } catch (RuntimeException e) {
                    throw new ClipException("cannot read " + table + ": " + e.getMessage(), e);
                }
            }

            @Override
            public Item next() {
                CSVRecord rec = it.next();
                return text(table, rec.getRecordNumber(), rec.isSet(column) ? rec.get(column) : null);
            }
        };
    }

    private Iterator<Item> parquet(Path p, String table) throws IOException {
        ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(p), ParquetReadOptions.builder(new PlainParquetConfiguration()).build());
        opened = r;
        MessageType schema = r.getFooter().getFileMetaData().getSchema();
        if (!schema.containsField(column)) throw new ClipException(table + " has no column " + column);
        Type t = schema.getType(column);
        if (!t.isPrimitive() || t.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.BINARY || t.isRepetition(Type.Repetition.REPEATED)) {
            throw new ClipException("column " + column + " of " + table + " is not a string column");
        }
        MessageType only = new MessageType(schema.getName(), t);
        r.setRequestedSchema(only);
        return new Iterator<>() {
            long row;
            long left;
            RecordReader<Group> rr;

            @Override
            public boolean hasNext() {
                try {
                    while (left == 0) {
                        PageReadStore pages = r.readNextRowGroup();
                        if (pages == null) return false;
                        left = pages.getRowCount();
                        rr = new ColumnIOFactory().getColumnIO(only).getRecordReader(pages, new GroupRecordConverter(only));
                    }
                    return true;
                } catch (IOException | RuntimeException e) {
                    throw new ClipException("cannot read " + table + ": " + e.getMessage(), e);
                }
            }

            @Override
            public Item next() {
                if (!hasNext()) throw new NoSuchElementException();
                left--;
                Group g = rr.read();
                return text(table, ++row, g.getFieldRepetitionCount(column) > 0 ? g.getString(column, 0) : null);
            }
        };
    }

}
