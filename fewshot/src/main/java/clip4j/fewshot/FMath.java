package clip4j.fewshot;

/**
 * Small dense helpers for the adapters (rows of float[], accumulation in double). The fewshot package uses StrictMath
 * for exp, log, pow and cos: Math may differ by an ulp between interpreted and JIT-compiled code, which made training
 * runs differ from one process to the next.
 */
public final class FMath {
    private FMath() {
    }

    public static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    public static int argmax(double[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
        return b;
    }

    public static int argmax(float[] v) {
        int b = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
        return b;
    }

    /** Softmax of z minus one-hot(y): the gradient of cross-entropy with respect to the logits; returns the loss. */
    public static double crossEntropyGrad(double[] z, int y, double[] grad) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        for (double v : z) sum += StrictMath.exp(v - max);
        double logSum = StrictMath.log(sum) + max;
        for (int c = 0; c < z.length; c++) grad[c] = StrictMath.exp(z[c] - logSum) - (c == y ? 1 : 0);
        return logSum - z[y];
    }

    public static float[][] copy(float[][] a) {
        float[][] o = new float[a.length][];
        for (int i = 0; i < a.length; i++) o[i] = a[i].clone();
        return o;
    }

    /** Checks that every value is finite; the one-line error names what. */
    public static void requireFinite(float[][] a, String what) {
        for (float[] r : a) {
            if (r == null) continue;
            for (float v : r) if (!Float.isFinite(v)) throw new clip4j.ClipException(what + " contains NaN or Inf");
        }
    }
}
