package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.ScalarBackend;
import clip4j.backend.VectorBackend;
import clip4j.io.DType;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;


/**
 * A full ViT-B/32-shaped model, weights generated from seed 0 on both sides, against PyTorch fp32
 * (scripts/make_goldens.py): normalised embeddings within 2e-5 max abs, logits within 1e-3 relative.
 */
class VitB32GoldenTest {
    @ParameterizedTest
    @CsvSource({"quick_gelu,cpu,512", "quick_gelu,cpu,256", "gelu,cpu,512", "quick_gelu,cpu-reference,0"})
    void matchesPyTorch(String act, String device, int bits) {
        Map<String, Object> g = TestData.json("/golden/vit-b-32-seed0-" + act + ".json");
        String arch = act.equals("gelu") ? "ViT-B-32" : "ViT-B-32-quickgelu";
        Path file = TestData.seededModel(arch, 0, DType.F32);
        Backend be = device.equals("cpu") ? VectorBackend.create(bits == 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_512, 2)
                : new ScalarBackend();
        try (be; ClipModel model = ClipModel.load(file, be)) {
            GoldenCheck.check(model, g, "ViT-B/32 " + act);
        }
    }
}
