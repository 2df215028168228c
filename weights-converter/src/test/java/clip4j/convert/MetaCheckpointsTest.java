package clip4j.convert;

import clip4j.ClipException;
import clip4j.fewshot.MetaAdapter;
import clip4j.io.DType;
import clip4j.io.SafetensorsWriter;
import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Meta-Adapter checkpoints: the official torch.save fp16 layout, our own .pt and .safetensors, bad files. */
class MetaCheckpointsTest {
    @Test
    void readsTheOfficialLayout() {
        // written by torch.save(MetaAdapter(8).half().state_dict()) in scripts' session; values from PyTorch
        MetaAdapter m = MetaCheckpoints.load(TestData.resource("/fixtures/meta-official-fp16.pt"));
        assertEquals(8, m.dim());
        assertEquals(-0.00264739990234375f, m.parameters()[0][0]);
        assertEquals(0.189697265625f, m.parameters()[0][1]);
        assertEquals(0.194091796875f, m.parameters()[1][0]);
        assertEquals(-0.1236572265625f, m.parameters()[2][0]);
        assertEquals(0.00982666015625f, m.parameters()[3][0]);
    }

    @Test
    void roundTripsBothFormats(@TempDir Path dir) {
        MetaAdapter m = new MetaAdapter(16, 4);
        for (String name : new String[]{"m.pt", "m.safetensors"}) {
            Path f = dir.resolve(name);
            MetaCheckpoints.save(m, f);
            MetaAdapter back = MetaCheckpoints.load(f);
            for (int i = 0; i < 4; i++) assertArrayEquals(m.parameters()[i], back.parameters()[i], name);
        }
    }

    @Test
    void rejectsBadCheckpoints(@TempDir Path dir) {
        Path nan = dir.resolve("nan.safetensors");
        float[] q = new float[4];
        q[1] = Float.NaN;
        new SafetensorsWriter().add("q_proj.weight", DType.F32, new long[]{2, 2}, q).add("k_proj.weight", DType.F32, new long[]{2, 2}, new float[4])
                .add("alpha_proj.weight", DType.F32, new long[]{1, 2}, new float[2]).add("alpha_proj.bias", DType.F32, new long[]{1}, new float[1]).write(nan);
        assertTrue(assertThrows(ClipException.class, () -> MetaCheckpoints.load(nan)).getMessage().contains("NaN"));
        Path extra = dir.resolve("extra.safetensors");
        new SafetensorsWriter().add("v_proj.weight", DType.F32, new long[]{2, 2}, new float[4]).write(extra);
        assertTrue(assertThrows(ClipException.class, () -> MetaCheckpoints.load(extra)).getMessage().contains("v_proj"));
    }
}
