package clip4j.model;

/**
 * L2 normalisation of embeddings, as upstream clip/model.py {@code CLIP.forward} does it
 * ({@code features / features.norm(dim=1, keepdim=True)}: no eps), with the norm in double. The one normaliser of the
 * project: zero-shot class weights, few-shot features and the embeddings the CLI prints all go through it.
 */
public final class Embeddings {
    private Embeddings() {
    }

    public static float[] normalize(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        double n = Math.sqrt(s);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / n);
        return out;
    }

    public static float[][] normalizeRows(float[][] rows) {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) out[i] = normalize(rows[i]);
        return out;
    }
}
