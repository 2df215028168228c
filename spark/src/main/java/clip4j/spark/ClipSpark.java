package clip4j.spark;

import clip4j.ClipException;
import clip4j.fewshot.AdapterFile;
import clip4j.image.ImageDecoder;
import clip4j.image.RawImage;
import clip4j.io.Hashing;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;
import clip4j.zeroshot.ZeroShotClassifier;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

import java.io.Serial;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * CLIP as DataFrame columns. {@link #embedImages} adds an image embedding to each row of a DataFrame of image bytes (a
 * binary column, as Spark's binaryFile source gives in {@code content}) or paths (a string column: local paths or
 * file: URIs every executor can read), {@link #embedTexts} a text embedding to each row of a string column. Each
 * executor loads the model once from its path (memory-mapped; the driver never ships weights) and encodes a
 * partition's rows in batches, in order; a row that cannot be embedded gets a null embedding and the reason in
 * {@code <output>_error}, and the other rows go on. The embeddings are L2-normalised and equal, bit for bit, what
 * 'clip4j embed' writes for the same image and model.
 */
public final class ClipSpark {
    private ClipSpark() {
    }

    /** How images are embedded: the model's path, the executor backend's threads (0: all cores), the batch. */
    public record Options(String model, int threads, int batch) implements java.io.Serializable {
        public Options {
            if (batch < 1) throw new ClipException("batch must be at least 1");
            if (threads < 0) throw new ClipException("threads must be 0 (all cores) or more");
        }
    }

    /**
     * df with three columns added: output (array&lt;float&gt;, null for a failed row), output_width and output_height
     * (the image's size), output_error (null for an embedded row).
     */
    public static Dataset<Row> embedImages(Dataset<Row> df, String column, String output, Options o) {
        DataType t = df.schema().apply(column).dataType();
        if (!(t instanceof BinaryType) && !(t instanceof StringType)) {
            throw new ClipException("column " + column + " holds " + t.simpleString() + ": image bytes (binary) or paths (string) expected");
        }
        StructType schema = df.schema().add(output, DataTypes.createArrayType(DataTypes.FloatType, false), true)
                .add(output + "_width", DataTypes.IntegerType, true).add(output + "_height", DataTypes.IntegerType, true)
                .add(output + "_error", DataTypes.StringType, true);
        return df.mapPartitions(new Images(o, df.schema().fieldIndex(column), t instanceof BinaryType), Encoders.row(schema));
    }

    /** df with output (array&lt;float&gt;) and output_error added: the embedding of each row's text. */
    public static Dataset<Row> embedTexts(Dataset<Row> df, String column, String output, Options o) {
        DataType t = df.schema().apply(column).dataType();
        if (!(t instanceof StringType)) throw new ClipException("column " + column + " holds " + t.simpleString() + ", not text");
        StructType schema = df.schema().add(output, DataTypes.createArrayType(DataTypes.FloatType, false), true)
                .add(output + "_error", DataTypes.StringType, true);
        return df.mapPartitions(new Texts(o, df.schema().fieldIndex(column)), Encoders.row(schema));
    }

    /**
     * df (with an image embedding column from {@link #embedImages}) with label (string) and score (its probability)
     * added: zero-shot among labels with templates, or the adapter file's classifier when adapter is not null (made
     * with the same model: checked against the model file's hash).
     */
    public static Dataset<Row> classify(Dataset<Row> df, String embedding, Options o, List<String> labels, List<String> templates, String adapter) {
        StructType schema = df.schema().add("label", DataTypes.StringType, true).add("score", DataTypes.FloatType, true);
        return df.mapPartitions(new Classify(o, df.schema().fieldIndex(embedding), List.copyOf(labels), List.copyOf(templates), adapter),
                Encoders.row(schema));
    }

    /** A path column's value as a local path: a plain path, or a file: URI as binaryFile writes them. */
    static Path localPath(String s) {
        return s.startsWith("file:") ? Path.of(URI.create(s)) : Path.of(s);
    }

    /** Rows in batches: take up to n from the input, map them, hand them out, repeat. */
    private abstract static class Batched implements Iterator<Row> {
        private final Iterator<Row> in;
        private final int n;
        private Iterator<Row> out = java.util.Collections.emptyIterator();

        Batched(Iterator<Row> in, int n) {
            this.in = in;
            this.n = n;
        }

        abstract List<Row> map(List<Row> rows);

        @Override
        public boolean hasNext() {
            while (!out.hasNext() && in.hasNext()) {
                List<Row> rows = new ArrayList<>(n);
                while (rows.size() < n && in.hasNext()) rows.add(in.next());
                out = map(rows).iterator();
            }
            return out.hasNext();
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            return out.next();
        }
    }

    private static Row append(Row r, Object... values) {
        Object[] v = new Object[r.length() + values.length];
        for (int i = 0; i < r.length(); i++) v[i] = r.get(i);
        System.arraycopy(values, 0, v, r.length(), values.length);
        return RowFactory.create(v);
    }

    private record Images(Options o, int column, boolean bytes) implements MapPartitionsFunction<Row, Row> {
        @Serial
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ClipModel model = ExecutorModels.model(o.model(), o.threads());
            return new Batched(input, o.batch()) {
                @Override
                List<Row> map(List<Row> rows) {
                    List<float[]> pixels = new ArrayList<>();
                    Object[][] extra = new Object[rows.size()][];
                    for (int i = 0; i < rows.size(); i++) {
                        Row r = rows.get(i);
                        try {
                            if (r.isNullAt(column)) throw new ClipException("no image (null)");
                            RawImage img = bytes ? ImageDecoder.decode((byte[]) r.get(column), name(r)) : ImageDecoder.decode(localPath(r.getString(column)));
                            pixels.add(model.preprocessor().preprocess(img));
                            extra[i] = new Object[]{null, img.width(), img.height(), null};
                        } catch (ClipException | IllegalArgumentException e) {
                            extra[i] = new Object[]{null, null, null, e.getMessage()};
                        }
                    }
                    float[][] f = pixels.isEmpty() ? new float[0][] : model.imageFeatures(pixels);
                    List<Row> out = new ArrayList<>(rows.size());
                    for (int i = 0, j = 0; i < rows.size(); i++) {
                        if (extra[i][3] == null) extra[i][0] = Embeddings.normalize(f[j++]);
                        out.add(append(rows.get(i), extra[i]));
                    }
                    return out;
                }
            };
        }

        /** A row's name in errors: its path column when it has one (binaryFile's), else the column's name. */
        private String name(Row r) {
            int p = java.util.Arrays.asList(r.schema().fieldNames()).indexOf("path");
            return p >= 0 && !r.isNullAt(p) ? String.valueOf(r.get(p)) : r.schema().fieldNames()[column];
        }
    }

    private record Texts(Options o, int column) implements MapPartitionsFunction<Row, Row> {
        @Serial
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ClipModel model = ExecutorModels.model(o.model(), o.threads());
            return new Batched(input, o.batch()) {
                @Override
                List<Row> map(List<Row> rows) {
                    List<String> texts = new ArrayList<>();
                    for (Row r : rows) if (!r.isNullAt(column)) texts.add(r.getString(column));
                    float[][] f = texts.isEmpty() ? new float[0][] : model.encodeTexts(texts);
                    List<Row> out = new ArrayList<>(rows.size());
                    int j = 0;
                    for (Row r : rows) out.add(r.isNullAt(column) ? append(r, null, "no text (null)") : append(r, f[j++], null));
                    return out;
                }
            };
        }
    }

    private record Classify(Options o, int column, List<String> labels, List<String> templates, String adapter)
            implements MapPartitionsFunction<Row, Row> {
        @Serial
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ClipModel model = ExecutorModels.model(o.model(), o.threads());
            AdapterFile a = adapter == null ? null : ExecutorModels.adapter(adapter);
            if (a != null && !a.modelSha256().equals(Hashing.sha256(Path.of(o.model())))) {
                throw new ClipException(adapter + " was fitted on another model's features, not " + o.model());
            }
            ZeroShotClassifier zs = a != null ? null : ExecutorModels.zeroShot(model, o.model(), labels, templates);
            List<String> names = a != null ? a.classNames() : labels;
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return input.hasNext();
                }

                @Override
                public Row next() {
                    Row r = input.next();
                    if (r.isNullAt(column)) return append(r, null, null);
                    float[] e = embedding(r.get(column));
                    float[] logits = zs != null ? zs.logits(e) : a.classifier().logits(model.backend(), new float[][]{e})[0];
                    float[] p = ZeroShotClassifier.probabilities(logits);
                    int best = 0;
                    for (int c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
                    return append(r, names.get(best), p[best]);
                }
            };
        }

        private static float[] embedding(Object v) {
            if (v instanceof float[] f) return f;
            scala.collection.Seq<?> s = (scala.collection.Seq<?>) v;
            float[] f = new float[s.length()];
            for (int i = 0; i < f.length; i++) f[i] = (Float) s.apply(i);
            return f;
        }
    }
}
