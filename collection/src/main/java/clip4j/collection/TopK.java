package clip4j.collection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The k best (row, score) pairs seen so far: kept sorted, best first, ties broken by the lower row, so that the result
 * does not depend on the order in which rows are offered (threads, chunks).
 */
final class TopK {
    private final int k;
    private final long[] rows;
    private final float[] scores;
    private int size;

    TopK(int k) {
        this.k = k;
        this.rows = new long[k];
        this.scores = new float[k];
    }

    /** The score a row must beat to enter (−∞ until k are held). */
    float threshold() {
        return size < k ? Float.NEGATIVE_INFINITY : scores[size - 1];
    }

    void offer(long row, float score) {
        if (k == 0 || Float.isNaN(score)) return;
        if (size == k && !better(score, row, scores[size - 1], rows[size - 1])) return;
        int i = size < k ? size++ : size - 1;
        while (i > 0 && better(score, row, scores[i - 1], rows[i - 1])) {
            scores[i] = scores[i - 1];
            rows[i] = rows[i - 1];
            i--;
        }
        scores[i] = score;
        rows[i] = row;
    }

    private static boolean better(float s, long r, float s2, long r2) {
        return s > s2 || s == s2 && r < r2;
    }

    void addAll(TopK other) {
        for (int i = 0; i < other.size; i++) offer(other.rows[i], other.scores[i]);
    }

    static TopK merge(int k, Collection<TopK> parts) {
        TopK all = new TopK(k);
        for (TopK p : parts) all.addAll(p);
        return all;
    }

    /** A hit: the row's place in the whole index (shards in order) and its cosine. */
    record Hit(long row, float score) {
    }

    List<Hit> hits() {
        List<Hit> h = new ArrayList<>(size);
        for (int i = 0; i < size; i++) h.add(new Hit(rows[i], scores[i]));
        return h;
    }
}
