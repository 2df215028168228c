package clip4j.fewshot;

import clip4j.ClipException;
import clip4j.backend.VectorBackend;
import clip4j.data.Dataset;
import clip4j.data.FashionMnist;
import clip4j.data.FeatureStore;
import clip4j.data.FewShotSampler;
import clip4j.model.ClipModel;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** End to end on Fashion-MNIST with the demo's seeded ViT-B/32: the cache model must beat zero-shot clearly. */
class FashionMnistFewShotTest {
    @Test
    void tipAdapterBeatsZeroShotAt16Shots(@TempDir Path dir) {
        assumeTrue(FashionMnist.available(FashionMnist.DEFAULT_DIR), "dataset-fashion-mnist not installed");
        Dataset train = FashionMnist.load(FashionMnist.DEFAULT_DIR, "train");
        Dataset test = new Dataset("t", train.classNames(), FewShotSampler.limitPerClass(FashionMnist.load(FashionMnist.DEFAULT_DIR, "test"), 20, 0));
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2);
             ClipModel m = ClipModel.load(TestData.seededModelWithText("ViT-B-32-quickgelu", 0), be)) {
            FewShotExperiment.Outcome out = FewShotExperiment.run(m, new FeatureStore(dir, m, true), train, test, null,
                    new FewShotExperiment.Config(List.of(Method.ZERO_SHOT, Method.TIP), new int[]{16}, new long[]{1},
                            List.of("a photo of a {}."), 0, Methods.Options.defaults()));
            double zs = out.runs().get(0).accuracy(), tip = out.runs().get(1).accuracy();
            System.out.printf("Fashion-MNIST 16-shot, random ViT-B/32: zero-shot %.3f, Tip-Adapter %.3f%n", zs, tip);
            assertEquals(200, out.test().size());
            assertTrue(tip >= zs + 0.10, "Tip-Adapter " + tip + " vs zero-shot " + zs);
            assertThrows(ClipException.class, () -> FewShotExperiment.run(m, new FeatureStore(dir, m, true), train, test, null,
                    new FewShotExperiment.Config(List.of(Method.TIP), new int[]{0}, new long[]{1}, List.of("{}"), 0, Methods.Options.defaults())));
        }
    }
}
