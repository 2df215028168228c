package clip4j.io;

import clip4j.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 11, cases 9 and 11: outputs that are not regular files, and temporaries left by a killed writer. */
class WriteFaultsTest {
    @TempDir
    Path dir;

    @Test
    void anOutputThatIsNotARegularFileIsRefused() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("out.safetensors"));
        ClipException e = assertThrows(ClipException.class, () -> AtomicFiles.writeString(folder, "x"));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertTrue(Files.isDirectory(folder), "the folder was not replaced");
        Path fifo = dir.resolve("pipe");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, p.waitFor());
        assertThrows(ClipException.class, () -> AtomicFiles.writeString(fifo, "x"));
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "the pipe (like a device node) was not replaced");
    }

    @Test
    void temporariesOfDeadWritersAreRemovedLiveOnesKept() throws IOException {
        Path out = dir.resolve("m.safetensors");
        long dead = ProcessHandle.allProcesses().mapToLong(ProcessHandle::pid).max().orElse(1) + 100_000;
        Path stale = Files.writeString(dir.resolve(".m.safetensors." + dead + ".123.tmp"), "half a model");
        Path live = Files.writeString(dir.resolve(".m.safetensors." + ProcessHandle.current().pid() + ".456.tmp"), "being written");
        Path other = Files.writeString(dir.resolve(".other.safetensors." + dead + ".1.tmp"), "another output's");
        AtomicFiles.writeString(out, "done");
        assertFalse(Files.exists(stale), "left by a process that is gone: removed");
        assertTrue(Files.exists(live), "a live writer's temporary stays");
        assertTrue(Files.exists(other), "another output's temporary is not this write's business");
        assertEquals("done", Files.readString(out));
    }
}
