package clip4j.cli;

import clip4j.util.Json;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Results go to stdout as JSON lines, nothing else. */
final class Output {
    private static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);

    private Output() {
    }

    static void jsonLine(Map<String, Object> record) {
        OUT.println(Json.write(record));
    }

    static void line(String s) {
        OUT.println(s);
    }
}
