package clip4j.cli;

import clip4j.ClipException;
import clip4j.convert.BpeTrainer;
import clip4j.io.AtomicFiles;
import clip4j.io.Hashing;
import clip4j.text.ClipTokenizer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Finds OpenAI's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz, which the repository does not ship), in this order:
 * {@code --bpe FILE}; {@code $CLIP4J_BPE}; the user cache ({@link UserCache}); a download from the openai/CLIP
 * repository ({@code $CLIP4J_BPE_URL} for a mirror) into the cache, accepted only with the pinned SHA-256.
 * {@code CLIP4J_OFFLINE=1} skips the download.
 */
final class BpeVocabulary {
    static final String FILE_NAME = "bpe_simple_vocab_16e6.txt.gz";
    static final String SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a";
    static final URI UPSTREAM = URI.create("https://raw.githubusercontent.com/openai/CLIP/main/clip/" + FILE_NAME);
    /** The real file is 1.36 MB; a download is cut off past this. */
    static final long MAX_BYTES = 4L << 20;
    /** The whole download, connection to last byte. */
    static final Duration DEADLINE = Duration.ofSeconds(60);
    static final String HOW_TO = "pass --bpe " + FILE_NAME + " or set CLIP4J_BPE to it (from github.com/openai/CLIP, "
            + "folder clip/; SHA-256 " + SHA256.substring(0, 12) + "...)";

    /** A found vocabulary file and how it was found, or no file and why not. */
    record Found(Path file, String how, String whyNot) {
        boolean found() {
            return file != null;
        }
    }

    private final Map<String, String> env;
    private final Path cacheDir;

    BpeVocabulary(Map<String, String> env, Path cacheDir) {
        this.env = env;
        this.cacheDir = cacheDir;
    }

    /** The user's environment and cache. */
    static BpeVocabulary fromEnvironment() {
        return new BpeVocabulary(System.getenv(), UserCache.dir());
    }

    Path cached() {
        return cacheDir.resolve(FILE_NAME);
    }

    Found resolve(Path flag) {
        if (flag != null) {
            if (!Files.isRegularFile(flag)) throw new ClipException("--bpe: file not found: " + flag);
            return new Found(flag, "--bpe", null);
        }
        String fromEnv = env.get("CLIP4J_BPE");
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path p = Path.of(fromEnv);
            if (!Files.isRegularFile(p)) throw new ClipException("CLIP4J_BPE names a file that does not exist: " + p);
            return new Found(p, "CLIP4J_BPE", null);
        }
        Path cached = cached();
        if (Files.isRegularFile(cached)) {
            if (SHA256.equals(sha256(cached))) return new Found(cached, "the user cache", null);
            Log.warn(cached + " does not have the expected SHA-256; fetching it again");
        }
        if ("1".equals(env.get("CLIP4J_OFFLINE"))) return new Found(null, null, "not in " + cacheDir + " and CLIP4J_OFFLINE=1");
        try {
            String mirror = env.get("CLIP4J_BPE_URL");
            URI url = mirror != null && !mirror.isBlank() ? URI.create(mirror) : UPSTREAM;
            download(url, cached);
            return new Found(cached, "downloaded from " + url, null);
        } catch (ClipException e) {
            return new Found(null, null, e.getMessage());
        } catch (IllegalArgumentException e) {
            return new Found(null, null, "CLIP4J_BPE_URL is not a URL: " + e.getMessage());
        }
    }

    /** The merges of a vocabulary for random weights, whether they are OpenAI's, and a sentence saying which they are. */
    record ForRandomWeights(String merges, boolean openai, String description) {
    }

    /**
     * OpenAI's vocabulary when found; otherwise the one clip4j learns from its own corpus, which random weights do
     * not care about (trained weights would).
     */
    ForRandomWeights forRandomWeights(Path flag) {
        Found f = resolve(flag);
        if (f.found()) {
            return new ForRandomWeights(ClipTokenizer.readMerges(f.file()), true, "OpenAI's CLIP vocabulary (" + f.how() + ")");
        }
        String merges = String.join("\n", BpeTrainer.projectMerges());
        return new ForRandomWeights(merges, false, "clip4j's own " + merges.lines().count() + "-merge vocabulary, learned from "
                + "its small corpus, because OpenAI's was not found (" + f.whyNot() + "; " + HOW_TO + ")");
    }

    /** The file, or a one-line error that says where it was looked for and how to provide it. */
    Path require(Path flag) {
        Found f = resolve(flag);
        if (!f.found()) throw new ClipException("CLIP's BPE vocabulary is needed and was not found (" + f.whyNot() + "): " + HOW_TO);
        Log.info("BPE vocabulary: " + f.file() + " (" + f.how() + ")");
        return f.file();
    }

    /** Fetches the file into the cache: at most {@link #MAX_BYTES}, within {@link #DEADLINE}, kept only with the pinned hash. */
    private static void download(URI url, Path target) {
        Log.info("downloading CLIP's BPE vocabulary from " + url);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpRequest req = HttpRequest.newBuilder(url).timeout(DEADLINE).GET().build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.sendAsync(req, HttpResponse.BodyHandlers.limiting(HttpResponse.BodyHandlers.ofByteArray(), MAX_BYTES))
                    .get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("download of " + url + " interrupted");
        } catch (TimeoutException e) {
            throw new ClipException("download of " + url + " took longer than " + DEADLINE.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io && io.getMessage() != null && io.getMessage().contains("exceeds")) {
                throw new ClipException("download of " + url + " sent more than " + MAX_BYTES + " bytes: not CLIP's vocabulary");
            }
            throw new ClipException("offline? cannot download " + url + ": " + c.getClass().getSimpleName()
                    + (c.getMessage() == null ? "" : ": " + c.getMessage()));
        }
        if (resp.statusCode() != 200) throw new ClipException("download of " + url + " answered HTTP " + resp.statusCode());
        String got = Hashing.sha256(resp.body());
        if (!got.equals(SHA256)) throw new ClipException("download of " + url + " has SHA-256 " + got + ", not the pinned " + SHA256);
        AtomicFiles.write(target, tmp -> Files.write(tmp, resp.body()));
    }

    static String sha256(Path file) {
        try {
            return Hashing.sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ClipException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
