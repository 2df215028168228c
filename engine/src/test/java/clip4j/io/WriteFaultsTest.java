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

/** Hostile input: outputs that are not regular files, and temporaries left by a killed writer. */
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
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        Path stale = Files.setLastModifiedTime(Files.writeString(dir.resolve(".m.safetensors." + dead + ".123.tmp"), "half a model"), old);
        Path live = Files.setLastModifiedTime(Files.writeString(dir.resolve(".m.safetensors." + ProcessHandle.current().pid() + ".456.tmp"), "being written"), old);
        Path fresh = Files.writeString(dir.resolve(".x.json." + dead + ".7.tmp"), "written a moment ago, maybe from another host");
        Path notOurs = Files.setLastModifiedTime(Files.writeString(dir.resolve(".m.safetensors.notapid.tmp"), "someone else's"), old);
        AtomicFiles.writeString(out, "done");
        assertFalse(Files.exists(stale), "left by a process that is gone, untouched for an hour: removed");
        assertTrue(Files.exists(live), "a live writer's temporary stays");
        assertTrue(Files.exists(fresh), "a recent one stays (its writer may run where this process cannot see it)");
        assertTrue(Files.exists(notOurs), "not our naming");
        assertEquals("done", Files.readString(out));
    }
}
