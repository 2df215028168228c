package clip4j.fewshot;

import clip4j.backend.Backend;

/**
 * A fitted few-shot classifier of L2-normalised image features, what {@link Methods#fit} returns and an adapter file
 * holds: its logits are computed by the same code whether the experiment evaluates it or a deployed file applies it,
 * so both give the same bits.
 */
public sealed interface Classifier {
    /** Class weights (rows, L2-normalised): the zero-shot classifier, or Meta-Adapter's refined one. */
    float[][] classWeights();

    /** Logits [n][classes] of features [n][D]. */
    float[][] logits(Backend be, float[][] features);

    /** 100·f·W: zero-shot, and Meta-Adapter with its refined weights. */
    record ZeroShot(float[][] classWeights) implements Classifier {
        @Override
        public float[][] logits(Backend be, float[][] features) {
            TipAdapter zs = new TipAdapter(classWeights, new float[0][], new int[0]);
            float[][] out = new float[features.length][];
            for (int i = 0; i < out.length; i++) out[i] = Methods.floats(zs.zeroShotLogits(features[i]));
            return out;
        }
    }

    /**
     * Tip-Adapter's cache model, and Tip-Adapter-F's with its trained keys. Its products run on the backend in blocks of
     * {@link #BLOCK} queries: a backend may take another kernel for many rows, which sums in another order, and a
     * query's logits must not depend on how many others it came with (one image classified alone, or a test set).
     */
    record Tip(float[][] classWeights, float[][] keys, int[] keyLabels, double alpha, double beta) implements Classifier {
        static final int BLOCK = 32;

        @Override
        public float[][] logits(Backend be, float[][] features) {
            TipAdapter tip = new TipAdapter(classWeights, keys, keyLabels);
            float[][] out = new float[features.length][];
            for (int i = 0; i < features.length; i += BLOCK) {
                float[][] part = tip.logitsBatch(be, java.util.Arrays.copyOfRange(features, i, Math.min(features.length, i + BLOCK)), alpha, beta);
                System.arraycopy(part, 0, out, i, part.length);
            }
            return out;
        }
    }

    /** CLIP-Adapter: the residual MLP's blend of the feature, then 100·f′·W. */
    record Adapter(float[][] classWeights, ClipAdapter adapter) implements Classifier {
        @Override
        public float[][] logits(Backend be, float[][] features) {
            double[][] z = adapter.logits(features, classWeights);
            float[][] out = new float[z.length][];
            for (int i = 0; i < z.length; i++) out[i] = Methods.floats(z[i]);
            return out;
        }
    }
}
