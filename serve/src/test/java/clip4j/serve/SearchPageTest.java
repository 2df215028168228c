package clip4j.serve;

import clip4j.testing.TestData;
import clip4j.util.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The search page in a real browser: Debian's chromium driven by its chromium-driver through Selenium. A text query
 * shows the index's matches as loaded thumbnails with the API's scores, in its order; an image dropped on the page (or
 * chosen with the file button) shows its matches and its zero-shot labels. Skipped, loudly, where no Chromium is
 * installed (CLIP4J_CHROMIUM and CLIP4J_CHROMEDRIVER name other binaries).
 */
class SearchPageTest {
    static TestServer served;
    static WebDriver browser;
    static WebDriverWait wait;

    @TempDir
    static Path tmp;

    static Path binary(String env, String... candidates) {
        String given = System.getenv(env);
        return Stream.concat(Stream.ofNullable(given), Stream.of(candidates)).map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
    }

    @BeforeAll
    static void start() throws Exception {
        Path chromium = binary("CLIP4J_CHROMIUM", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        Path driver = binary("CLIP4J_CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        if (chromium == null || driver == null) {
            String why = "SearchPageTest needs a Chromium and its driver (Debian: apt install chromium chromium-driver); found "
                    + (chromium == null ? "no browser" : chromium) + " and " + (driver == null ? "no driver" : driver);
            System.err.println("\n*** SKIPPED: " + why + " ***\n");
            Assumptions.abort(why);
        }
        served = TestServer.start(tmp);
        ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile()).addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1200,900", "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (served != null) served.close();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> api(String path, String json) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(served.base() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return (List<Map<String, Object>>) Json.parseObject(r.body()).get("results");
    }

    /** Waits until the page shows n matches whose thumbnails all loaded, and returns their captions. */
    static List<String> matches(int n) {
        wait.until(b -> {
            List<WebElement> hits = b.findElements(By.cssSelector("#results figure.hit img"));
            return hits.size() == n && hits.stream().allMatch(img -> ((Number) ((JavascriptExecutor) b)
                    .executeScript("return arguments[0].complete ? arguments[0].naturalWidth : 0", img)).intValue() > 0);
        });
        return browser.findElements(By.cssSelector("#results figure.hit figcaption")).stream().map(WebElement::getText).toList();
    }

    static List<String> expected(List<Map<String, Object>> results) {
        return results.stream().map(r -> String.format(Locale.ROOT, "%.3f %s", ((Number) r.get("score")).doubleValue(), r.get("key"))).toList();
    }

    @Test
    void aTextQueryShowsTheMatchesAsThumbnails() throws Exception {
        browser.get(served.base() + "/");
        wait.until(b -> "true".equals(b.findElement(By.id("model")).getDomAttribute("data-ready")));
        assertTrue(browser.findElement(By.id("model")).getText().contains("3 indexed images"), browser.findElement(By.id("model")).getText());
        browser.findElement(By.id("query")).sendKeys("a photo of a cat");
        browser.findElement(By.id("search")).click();
        List<String> shown = matches(3);
        assertEquals(expected(api("/v1/search", "{\"text\": \"a photo of a cat\", \"k\": 12}")), shown);
    }

    @Test
    void aDroppedImageShowsItsMatchesAndLabels() throws Exception {
        browser.get(served.base() + "/");
        wait.until(b -> "true".equals(b.findElement(By.id("model")).getDomAttribute("data-ready")));
        WebElement labels = browser.findElement(By.id("labels"));
        labels.clear();
        labels.sendKeys("cat, dog, car");
        Path png = TestData.resource("/golden/rgba_301x200.png");
        String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        // a drop as the browser makes it: a DataTransfer holding the file, dispatched on the drop zone
        ((JavascriptExecutor) browser).executeScript("""
                const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
                const dt = new DataTransfer();
                dt.items.add(new File([bytes], 'rgba_301x200.png', {type: 'image/png'}));
                document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
                """, b64);
        List<String> shown = matches(3);
        String body = "{\"image\": \"" + b64 + "\", \"k\": 12}";
        assertEquals(expected(api("/v1/search", body)), shown);
        assertTrue(shown.getFirst().endsWith("rgba_301x200.png"), "an image's nearest is itself: " + shown);
        wait.until(b -> b.findElements(By.cssSelector("#label-list li.label")).size() == 3);
        HttpResponse<String> c = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(served.base() + "/v1/classify"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"image\": \"" + b64 + "\", \"labels\": [\"cat\", \"dog\", \"car\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(Json.parseObject(c.body()).get("label"), browser.findElement(By.cssSelector("#label-list li.label .name")).getText());
        assertTrue(browser.findElement(By.id("preview")).isDisplayed());

        // the file button: the same matches for another image
        Path other = TestData.resource("/golden/l_150x260.png");
        WebElement file = browser.findElement(By.id("file"));
        ((JavascriptExecutor) browser).executeScript("arguments[0].style.display = 'block'", file);
        file.sendKeys(other.toAbsolutePath().toString());
        wait.until(b -> b.findElement(By.id("results-title")).getText().contains("l_150x260.png"));
        List<String> again = matches(3);
        assertEquals(expected(api("/v1/search", "{\"image\": \"" + Base64.getEncoder().encodeToString(Files.readAllBytes(other)) + "\", \"k\": 12}")), again);
    }

    @Test
    void aServerWithAnApiKeyAsksForIt() throws Exception {
        try (TestServer keyed = TestServer.start(Files.createTempDirectory(tmp, "keyed"), "page-test-key")) {
            browser.get(keyed.base() + "/");
            wait.until(b -> b.findElement(By.id("key-section")).isDisplayed());
            assertTrue(browser.findElement(By.id("model")).getText().contains("API key"), browser.findElement(By.id("model")).getText());
            browser.findElement(By.id("apikey")).sendKeys("page-test-key");
            browser.findElement(By.id("key-save")).click();
            wait.until(b -> "true".equals(b.findElement(By.id("model")).getDomAttribute("data-ready")));
            browser.findElement(By.id("query")).sendKeys("a photo of a dog");
            browser.findElement(By.id("search")).click();
            assertEquals(3, matches(3).size(), "thumbnails load with the key");
        } finally {
            ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        }
    }
}
