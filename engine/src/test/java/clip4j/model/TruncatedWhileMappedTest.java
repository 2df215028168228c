package clip4j.model;

import clip4j.ClipException;
import clip4j.backend.VectorBackend;
import clip4j.io.DType;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input: a model file truncated while a process has it mapped faults on the next read (SIGBUS), which the
 * JVM raises as an InternalError with a trace; it is a one-line error naming the file now.
 */
class TruncatedWhileMappedTest {
    @Test
    void aFileCutUnderTheMappingIsAOneLineError() throws Exception {
        Path f = SeededWeights.writeTempModel(Architectures.byName("test-tiny-quickgelu"), 9, null, DType.F32);
        try (VectorBackend be = VectorBackend.create(FloatVector.SPECIES_PREFERRED, 1); ClipModel m = ClipModel.load(f, be)) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(4096); // the header stays, every tensor is gone
            }
            float[] px = new float[3 * 32 * 32];
            ClipException e = assertThrows(ClipException.class, () -> m.imageFeatures(List.of(px)));
            assertTrue(e.getMessage().contains("truncated while in use") && e.getMessage().contains(f.getFileName().toString()), e.getMessage());
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
