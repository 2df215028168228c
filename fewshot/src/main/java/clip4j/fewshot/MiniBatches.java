package clip4j.fewshot;

import java.util.Random;

/** One shuffled pass over (features, labels) in mini-batches, as the trainers of Tip-Adapter-F, CLIP-Adapter and Meta-Adapter use. */
final class MiniBatches {
    interface Step {
        void run(float[][] x, int[] y);
    }

    private MiniBatches() {
    }

    static int iterations(int n, int batch) {
        return (n + batch - 1) / batch;
    }

    /** Shuffles {@code order} (a permutation of 0..n-1, carried across epochs) and runs step on each batch. */
    static void epoch(float[][] x, int[] y, int[] order, int batch, Random rnd, Step step) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int from = 0; from < order.length; from += batch) {
            int to = Math.min(order.length, from + batch);
            float[][] xb = new float[to - from][];
            int[] yb = new int[to - from];
            for (int k = from; k < to; k++) {
                xb[k - from] = x[order[k]];
                yb[k - from] = y[order[k]];
            }
            step.run(xb, yb);
        }
    }

    static int[] identity(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        return o;
    }
}
