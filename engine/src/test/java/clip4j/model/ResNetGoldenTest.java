package clip4j.model;

import clip4j.backend.Backend;
import clip4j.backend.ScalarBackend;
import clip4j.backend.VectorBackend;
import clip4j.io.DType;
import clip4j.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

/**
 * ResNet CLIPs, weights generated from a seed on both sides in upstream's form (convolutions, and BatchNorms with
 * random statistics, which the model file folds), against PyTorch fp32 of upstream's ModifiedResNet
 * (scripts/make_resnet_goldens.py): RN50 at full size, and a ResNet of width 8 with one block per stage at 64 px.
 */
class ResNetGoldenTest {
    @ParameterizedTest
    @CsvSource({"RN50-quickgelu,0,rn50-seed0-quick_gelu,cpu,512", "RN50-quickgelu,0,rn50-seed0-quick_gelu,cpu,256",
            "test-tiny-rn,3,test-tiny-rn-seed3-gelu,cpu,512", "test-tiny-rn,3,test-tiny-rn-seed3-gelu,cpu,128",
            "test-tiny-rn,3,test-tiny-rn-seed3-gelu,cpu-reference,0"})
    void matchesPyTorch(String arch, long seed, String golden, String device, int bits) {
        Map<String, Object> g = TestData.json("/golden/" + golden + ".json");
        Backend be = device.equals("cpu") ? VectorBackend.create(VectorBackend.speciesForBits(bits), 2) : new ScalarBackend();
        try (be; ClipModel model = ClipModel.load(TestData.seededModel(arch, seed, DType.F32), be)) {
            GoldenCheck.check(model, g, arch);
        }
    }
}
