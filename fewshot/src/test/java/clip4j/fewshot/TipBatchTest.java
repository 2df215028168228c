package clip4j.fewshot;

import clip4j.backend.VectorBackend;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The batched, backend-driven Tip-Adapter logits against the per-query reference. */
class TipBatchTest {
    @Test
    void batchMatchesReference() {
        Random r = new Random(11);
        float[][] w = AdapterMathTest.randomUnit(7, 40, r);
        float[][] keys = AdapterMathTest.randomUnit(21, 40, r);
        int[] kl = new int[21];
        for (int i = 0; i < kl.length; i++) kl[i] = i % 7;
        TipAdapter tip = new TipAdapter(w, keys, kl);
        float[][] q = AdapterMathTest.randomUnit(13, 40, r);
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2)) {
            float[][] got = tip.logitsBatch(be, q, 2.5, 4.0);
            for (int i = 0; i < q.length; i++) {
                double[] want = tip.logits(q[i], 2.5, 4.0);
                for (int c = 0; c < 7; c++) assertEquals(want[c], got[i][c], 1e-3);
            }
        }
    }
}
