package clip4j.convert;

import clip4j.backend.VectorBackend;
import clip4j.image.ImageDecoder;
import clip4j.io.DType;
import clip4j.model.ClipModel;
import clip4j.model.Embeddings;
import clip4j.model.ModelFile;
import clip4j.testing.TestData;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each source format (scripts/make_goldens.py and make_resnet_goldens.py fixtures) converted and run against PyTorch
 * fp32: an OpenAI TorchScript archive with fp16 storage, an open_clip GELU training checkpoint with "module." names, a
 * Hugging Face directory; the first two also as ResNet CLIPs (BatchNorms in fp32 beside fp16 convolutions, folded).
 */
class ConverterGoldenTest {
    @ParameterizedTest
    @CsvSource({"tiny-openai-fp16.pt,,f32,2e-5", "tiny-openclip-gelu.pt,test-tiny,f32,2e-5", "tiny-hf,,f32,2e-5",
            "tiny-openai-fp16.pt,,f16,1e-3", "tiny-hf,,bf16,3e-2", "tiny-hf,,f16,3e-3",
            "tiny-rn-openai-fp16.pt,,f32,2e-5", "tiny-rn-openclip-gelu.pt,test-tiny-rn,f32,2e-5", "tiny-rn-openai-fp16.pt,,f16,1e-3"})
    @SuppressWarnings("unchecked")
    void convertsAndMatchesPyTorch(String fixture, String arch, String dtype, double tol, @TempDir Path dir) throws Exception {
        Map<String, Object> g = TestData.json("/fixtures/" + fixture.replaceAll("\\.pt$", "") + ".json");
        Path out = dir.resolve("m.safetensors");
        Converter.convert(TestData.resource("/fixtures/" + fixture), out, arch, null, DType.ofFlag(dtype));
        try (ModelFile f = ModelFile.open(out)) {
            assertEquals(DType.ofFlag(dtype), f.weightDType());
            assertEquals(g.get("activation"), f.config().activation().key);
        }
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 2); ClipModel m = ClipModel.load(out, be)) {
            List<Map<String, Object>> images = (List<Map<String, Object>>) g.get("images");
            double worst = 0;
            for (Map<String, Object> im : images) {
                byte[] rgb = m.preprocessor().toRgb(ImageDecoder.decode(TestData.resource("/golden/" + im.get("file"))));
                float[] e = Embeddings.normalize(m.imageFeatures(List.of(m.preprocessor().normalize(rgb)))[0]);
                double d = TestData.maxAbsDiff(TestData.floats(im.get("embedding")), e);
                assertTrue(d <= tol, fixture + " image " + im.get("file") + " diff " + d);
                worst = Math.max(worst, d);
            }
            List<Map<String, Object>> texts = (List<Map<String, Object>>) g.get("texts");
            int[][] ids = new int[texts.size()][];
            for (int t = 0; t < ids.length; t++) ids[t] = TestData.ints(texts.get(t).get("ids"));
            float[][] te = Embeddings.normalizeRows(m.textFeatures(ids));
            for (int t = 0; t < ids.length; t++) {
                double d = TestData.maxAbsDiff(TestData.floats(texts.get(t).get("embedding")), te[t]);
                assertTrue(d <= tol, fixture + " text " + t + " diff " + d);
                worst = Math.max(worst, d);
            }
            System.out.printf("fidelity %s as %s: max abs %.2e on normalised embeddings%n", fixture, dtype, worst);
        }
        if (!dtype.equals("f32")) {
            Path f32 = dir.resolve("f32.safetensors");
            Converter.convert(TestData.resource("/fixtures/" + fixture), f32, arch, null, DType.F32);
            assertTrue(Files.size(out) < 0.55 * Files.size(f32), "half-size storage");
        }
    }
}
