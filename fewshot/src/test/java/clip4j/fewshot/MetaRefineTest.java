package clip4j.fewshot;

import clip4j.backend.Backend;
import clip4j.backend.ScalarBackend;
import clip4j.backend.VectorBackend;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Meta-Adapter's refinement through a backend (inference) against the double-precision forward training uses. */
class MetaRefineTest {
    @Test
    void backendRefinementMatchesTheTrainingForward() {
        Random r = new Random(12);
        int d = 48, classes = 5;
        MetaAdapter m = new MetaAdapter(d, 9);
        float[][] w = AdapterMathTest.randomUnit(classes, d, r);
        float[][][] supports = new float[classes][][];
        for (int c = 0; c < classes; c++) supports[c] = AdapterMathTest.randomUnit(c == 3 ? 0 : 4 + c, d, r); // class 3: no supports
        float[][] want = m.refine(w, supports);
        try (Backend scalar = new ScalarBackend(); Backend vector = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2)) {
            for (Backend be : new Backend[]{scalar, vector}) {
                float[][] got = m.refine(be, w, supports);
                for (int c = 0; c < classes; c++) {
                    for (int t = 0; t < d; t++) assertEquals(want[c][t], got[c][t], 1e-6, be.name() + " class " + c + " dim " + t);
                }
            }
        }
    }
}
