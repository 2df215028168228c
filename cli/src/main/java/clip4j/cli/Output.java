package clip4j.cli;

import clip4j.ClipException;
import clip4j.util.Json;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Results go to stdout as JSON lines, nothing else. A failed write (a full disk, a closed pipe) is an error, not a
 * silent success: PrintStream would swallow it, so every line checks.
 */
final class Output {
    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private Output() {
    }

    static void jsonLine(Map<String, Object> record) {
        line(Json.write(record));
    }

    static void line(String s) {
        OUT.println(s);
        if (OUT.checkError()) throw new ClipException("cannot write the results to standard output (disk full, or the reader went away)");
    }
}
