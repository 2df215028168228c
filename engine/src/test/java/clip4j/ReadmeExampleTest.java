package clip4j;

import clip4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Java example, exactly as printed there: compiled against the engine alone, then run with the flag the
 * README gives (it classifies an image) and without it (a clear error that names the flag, not NoClassDefFoundError).
 */
class ReadmeExampleTest {
    static final String MARKER = "<!-- The example below is compiled and run by engine/src/test/java/clip4j/ReadmeExampleTest.java -->";

    static String example() throws IOException {
        Path readme = Path.of(System.getProperty("clip4j.root", ".."), "README.md");
        String text = Files.readString(readme);
        int at = text.indexOf(MARKER);
        assertTrue(at >= 0, "README has the marked example");
        int start = text.indexOf("```java\n", at) + "```java\n".length();
        return text.substring(start, text.indexOf("```", start));
    }

    record Run(int code, String out, String err) {
    }

    static Run java(Path classes, boolean vectorFlag, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (vectorFlag) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of("-cp", classes + java.io.File.pathSeparator + System.getProperty("java.class.path"), "Example"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void compilesAndRuns(@TempDir Path tmp) throws Exception {
        Path src = tmp.resolve("Example.java");
        Files.writeString(src, example());
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diag, diag, "-d", tmp.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc, "the README example does not compile:\n" + diag);

        String model = TestData.seededModelWithText("test-tiny-quickgelu", 3).toString();
        String image = TestData.resource("/golden/rgb_31x17.png").toString();
        Run ok = java(tmp, true, model, image);
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().matches("cat [01]\\.\\d{3}, dog [01]\\.\\d{3}\\R"), ok.out());

        Run missing = java(tmp, false, model, image);
        assertNotEquals(0, missing.code());
        assertTrue(missing.err().contains("--add-modules jdk.incubator.vector"), missing.err());
        assertFalse(missing.err().contains("NoClassDefFoundError"), missing.err());
    }
}
