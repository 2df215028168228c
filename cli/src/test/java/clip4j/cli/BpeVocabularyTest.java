package clip4j.cli;

import clip4j.ClipException;
import clip4j.testing.TestData;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the BPE vocabulary comes from, against a local server standing in for github.com (never the network). */
class BpeVocabularyTest {
    @TempDir
    Path dir;
    HttpServer server;
    volatile byte[] served;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/bpe.gz", ex -> {
            byte[] b = served;
            ex.sendResponseHeaders(b == null ? 404 : 200, b == null ? -1 : b.length);
            if (b != null) {
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(b);
                }
            }
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private BpeVocabulary vocab(Map<String, String> env) {
        return new BpeVocabulary(env, dir.resolve("cache"));
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/bpe.gz";
    }

    @Test
    void flagAndEnvironmentComeFirst() throws IOException {
        Path f = Files.writeString(dir.resolve("my.txt.gz"), "x");
        assertEquals(f, vocab(Map.of()).resolve(f).file());
        assertEquals("CLIP4J_BPE", vocab(Map.of("CLIP4J_BPE", f.toString())).resolve(null).how());
        ClipException e = assertThrows(ClipException.class, () -> vocab(Map.of()).resolve(dir.resolve("nope.gz")));
        assertTrue(e.getMessage().contains("nope.gz"));
        assertThrows(ClipException.class, () -> vocab(Map.of("CLIP4J_BPE", dir.resolve("gone").toString())).resolve(null));
    }

    @Test
    void offlineAndUnreachableAreReasonsNotErrors() throws IOException {
        BpeVocabulary.Found off = vocab(Map.of("CLIP4J_OFFLINE", "1")).resolve(null);
        assertFalse(off.found());
        assertTrue(off.whyNot().contains("CLIP4J_OFFLINE=1"), off.whyNot());
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        BpeVocabulary.Found down = vocab(Map.of("CLIP4J_BPE_URL", "http://127.0.0.1:" + closed + "/x.gz")).resolve(null);
        assertFalse(down.found());
        assertTrue(down.whyNot().startsWith("offline?"), down.whyNot());
        ClipException e = assertThrows(ClipException.class, () -> vocab(Map.of("CLIP4J_OFFLINE", "1")).require(null));
        assertTrue(e.getMessage().contains("--bpe") && e.getMessage().contains("CLIP4J_BPE"), e.getMessage());
    }

    @Test
    void aDownloadIsKeptOnlyWithThePinnedHash() {
        served = "a file that is not CLIP's vocabulary".getBytes();
        BpeVocabulary.Found wrong = vocab(Map.of("CLIP4J_BPE_URL", url())).resolve(null);
        assertFalse(wrong.found());
        assertTrue(wrong.whyNot().contains("SHA-256"), wrong.whyNot());
        assertFalse(Files.exists(dir.resolve("cache").resolve(BpeVocabulary.FILE_NAME)), "nothing kept");

        served = new byte[(int) BpeVocabulary.MAX_BYTES + 1];
        BpeVocabulary.Found big = vocab(Map.of("CLIP4J_BPE_URL", url())).resolve(null);
        assertFalse(big.found());
        assertTrue(big.whyNot().contains("more than"), big.whyNot());

        served = null;
        assertTrue(vocab(Map.of("CLIP4J_BPE_URL", url())).resolve(null).whyNot().contains("HTTP 404"));
    }

    @Test
    void theRealFileIsDownloadedOnceThenCached() throws IOException {
        served = Files.readAllBytes(TestData.requireBpe("BpeVocabularyTest.theRealFileIsDownloadedOnceThenCached"));
        BpeVocabulary.Found got = vocab(Map.of("CLIP4J_BPE_URL", url())).resolve(null);
        assertTrue(got.found(), got.whyNot());
        assertTrue(got.how().startsWith("downloaded from"), got.how());
        served = null;
        BpeVocabulary.Found again = vocab(Map.of("CLIP4J_BPE_URL", url())).resolve(null);
        assertEquals("the user cache", again.how());
        // a damaged cache is noticed and fetched again
        Files.write(got.file(), new byte[]{1, 2, 3});
        served = Files.readAllBytes(TestData.bpeFile());
        assertTrue(vocab(Map.of("CLIP4J_BPE_URL", url())).resolve(null).how().startsWith("downloaded"));
    }
}
