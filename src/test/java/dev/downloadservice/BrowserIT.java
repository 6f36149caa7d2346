package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real browser: Debian's headless Chromium, driven over the DevTools protocol (the
 * JDK's WebSocket client, no driver), downloads an archive from the service; the saved
 * file must have the size the browser was told and verify with unzip.
 */
class BrowserIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern TOTAL = Pattern.compile("\"totalBytes\":(\\d+)");
    private static final Pattern RECEIVED = Pattern.compile("\"receivedBytes\":(\\d+)");
    private static final Pattern GUID = Pattern.compile("\"guid\":\"([^\"]+)\"");

    @TempDir
    Path dir;

    /**
     * The port and path Chromium writes once DevTools listens. The file appears before its lines
     * do (seen in CI: an empty file), so wait for both.
     */
    private static List<String> devToolsActivePort(Path file) throws Exception {
        for (int i = 0; i < 300; i++) {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
            if (lines.size() >= 2) {
                return lines;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("expected Chromium to write its DevTools port to " + file + " within 30 s");
    }

    @Test
    void chromium_downloadsTheArchive_fullSizeAndItVerifies() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is installed by .ci/run");
        Path root = Files.createDirectory(dir.resolve("root"));
        Path gallery = Files.createDirectory(root.resolve("gallery"));
        Random random = new Random(5);
        for (int i = 0; i < 5; i++) {
            TestFiles.random(gallery.resolve("IMG_" + i + ".jpg"), 300_000 + random.nextInt(700_000), random.nextLong());
        }
        Files.writeString(gallery.resolve("Überblick.txt"), "a name that is not ASCII");
        Path downloads = Files.createDirectory(dir.resolve("downloads"));
        Path profile = Files.createDirectory(dir.resolve("profile"));

        try (TestService service = TestService.start(root)) {
            Process chromium = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless=new", "--no-sandbox",
                    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                    "--remote-debugging-port=0", "about:blank"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
            try {
                List<String> active = devToolsActivePort(profile.resolve("DevToolsActivePort"));
                DevTools browser = DevTools.connect("ws://127.0.0.1:" + active.get(0) + active.get(1));

                browser.send("Browser.setDownloadBehavior", "{\"behavior\":\"allow\",\"downloadPath\":\""
                        + downloads + "\",\"eventsEnabled\":true}");
                browser.send("Target.createTarget", "{\"url\":\"http://127.0.0.1:" + service.port()
                        + "/archive/gallery/\"}");
                String completed = browser.await(event -> event.contains("\"Browser.downloadProgress\"")
                        && event.contains("\"state\":\"completed\""), 60);

                long total = Long.parseLong(find(TOTAL, completed));
                long received = Long.parseLong(find(RECEIVED, completed));
                Path saved = downloads.resolve("gallery.zip");
                for (int i = 0; i < 50 && !Files.exists(saved); i++) {
                    Thread.sleep(100); // the browser renames its partial file when done
                }
                assertThat(find(GUID, completed)).isNotEmpty();
                assertThat(saved).as("saved under the name from Content-Disposition").exists();
                assertThat(total).as("the browser knew the size (Content-Length): a progress bar").isPositive();
                assertThat(received).isEqualTo(total);
                assertThat(Files.size(saved)).isEqualTo(total);
                ZipReader.UNZIP_TEST.check(saved, ExpectedEntry.fromFolder(gallery));
            } finally {
                chromium.destroy();
                chromium.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String find(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        assertThat(matcher.find()).as(pattern + " in " + text).isTrue();
        return matcher.group(1);
    }

    /** The browser's DevTools endpoint: commands out, every message in a queue. */
    private static final class DevTools implements WebSocket.Listener {
        private final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;
        private int nextId;

        static DevTools connect(String url) throws Exception {
            DevTools devTools = new DevTools();
            devTools.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create(url), devTools).get(20, TimeUnit.SECONDS);
            return devTools;
        }

        void send(String method, String params) throws Exception {
            int id = ++nextId;
            socket.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}", true)
                    .get(10, TimeUnit.SECONDS);
            String reply = await(message -> message.startsWith("{\"id\":" + id + ","), 20);
            assertThat(reply).as(method).doesNotContain("\"error\"");
        }

        String await(java.util.function.Predicate<String> wanted, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                String message = messages.poll(100, TimeUnit.MILLISECONDS);
                if (message != null && wanted.test(message)) {
                    return message;
                }
            }
            throw new AssertionError("no such DevTools message within " + seconds + " s");
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return CompletableFuture.completedFuture(null);
        }
    }
}
