package clip4j.model;

import clip4j.backend.VectorBackend;
import clip4j.io.DType;
import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reproducibility: the same model, inputs, vector width and thread count give the same bits whether the kernels run in the
 * interpreter (-Xint), in a cold JVM's first call, or compiled after warming up (two runs once differed by 1.6e-7:
 * reduceLanes and the vector EXP rounded differently in interpreted and compiled code).
 */
class ReproducibleTest {
    /** Image and text embeddings of fixed inputs, as hex bits, one line per embedding. */
    static String encode(Path model, int bits, int threads, int repeats) {
        try (VectorBackend be = VectorBackend.create(VectorBackend.speciesForBits(bits), threads); ClipModel m = ClipModel.load(model, be)) {
            List<float[]> px = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                float[] p = new float[3 * 32 * 32];
                for (int j = 0; j < p.length; j++) p[j] = (float) Math.sin(j * 0.37 + i) * 1.7f;
                px.add(p);
            }
            int[][] ids = new int[3][];
            for (int t = 0; t < 3; t++) ids[t] = m.tokenize("a photo of thing " + t + " with " + "words ".repeat(t * 5));
            float[][] img = null, txt = null;
            for (int r = 0; r < repeats; r++) {
                img = m.imageFeatures(px);
                txt = m.textFeatures(ids);
            }
            StringBuilder b = new StringBuilder();
            for (float[][] rows : new float[][][]{img, txt}) {
                for (float[] row : rows) {
                    for (float v : row) b.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(' ');
                    b.append('\n');
                }
            }
            return b.toString();
        }
    }

    public static void main(String[] a) {
        System.out.print(encode(Path.of(a[0]), Integer.parseInt(a[1]), Integer.parseInt(a[2]), 1));
    }

    private static String child(Path model, int bits, String... jvmFlags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xss4m"));
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ReproducibleTest.class.getName(), model.toString(),
                Integer.toString(bits), "2"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        return out;
    }

    @Test
    void interpretedColdAndWarmGiveTheSameBits() throws Exception {
        Path model = TestData.seededModelWithText("test-tiny-quickgelu", 21);
        Path gelu = TestData.seededModelWithText("test-tiny", 22);
        for (Path m : new Path[]{model, gelu}) {
            int bits = VectorBackend.speciesForBits(0).vectorBitSize();
            String warm = encode(m, bits, 2, 300);
            assertEquals(warm, child(m, bits, "-Xint"), "interpreted vs warm, " + m.getFileName());
            assertEquals(warm, child(m, bits), "a cold JVM's first call vs warm, " + m.getFileName());
        }
    }
}
