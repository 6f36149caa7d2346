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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real browser: Debian's headless Chromium, driven over the DevTools protocol (the
 * JDK's WebSocket client, no driver), downloads an archive from the service; the saved
 * file must have the size the browser was told and verify with unzip. One Chromium for all the tests.
 */
class BrowserIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern TOTAL = Pattern.compile("\"totalBytes\":(\\d+)");
    private static final Pattern RECEIVED = Pattern.compile("\"receivedBytes\":(\\d+)");
    private static final Pattern GUID = Pattern.compile("\"guid\":\"([^\"]+)\"");
    private static final Pattern TARGET_ID = Pattern.compile("\"targetId\":\"([^\"]+)\"");
    private static final Pattern SESSION_ID = Pattern.compile("\"sessionId\":\"([^\"]+)\"");

    /** A sample of test_photos/ with a subfolder and a name that is not ASCII. */
    private static final String SAMPLE = "af1ad8c76fda2e48ea9aed2937e972ea";

    @TempDir
    static Path browserDir;
    private static Process chromium;
    private static DevTools browser;

    @TempDir
    Path dir;

    @BeforeAll
    static void startChromium() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is installed by .ci/run");
        Path profile = Files.createDirectory(browserDir.resolve("profile"));
        chromium = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--remote-debugging-port=0", "about:blank"))
                .redirectErrorStream(true).redirectOutput(browserDir.resolve("chromium.log").toFile()).start();
        List<String> active = devToolsActivePort(profile.resolve("DevToolsActivePort"));
        browser = DevTools.connect("ws://127.0.0.1:" + active.get(0) + active.get(1));
    }

    /**
     * Stops Chromium and every process it started: its helpers still wrote to the profile
     * after the main process had exited, and the profile's temporary folder then could not
     * be deleted (seen in CI).
     */
    @AfterAll
    static void stopChromium() throws Exception {
        if (chromium != null) {
            List<ProcessHandle> all = new ArrayList<>(chromium.descendants().toList());
            all.add(chromium.toHandle());
            all.forEach(ProcessHandle::destroy);
            for (ProcessHandle process : all) {
                process.onExit().get(10, TimeUnit.SECONDS);
            }
        }
    }

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
        Path root = Files.createDirectory(dir.resolve("root"));
        Path gallery = Files.createDirectory(root.resolve("gallery"));
        Random random = new Random(5);
        for (int i = 0; i < 5; i++) {
            TestFiles.random(gallery.resolve("IMG_" + i + ".jpg"), 300_000 + random.nextInt(700_000), random.nextLong());
        }
        Files.writeString(gallery.resolve("Überblick.txt"), "a name that is not ASCII");
        Path downloads = Files.createDirectory(dir.resolve("downloads"));

        try (TestService service = TestService.start(root)) {
            downloadInto(downloads);
            browser.send("Target.createTarget", "{\"url\":\"http://127.0.0.1:" + service.port()
                    + "/archive/gallery/\"}");
            String completed = awaitDownload();

            long total = Long.parseLong(find(TOTAL, completed));
            long received = Long.parseLong(find(RECEIVED, completed));
            Path saved = saved(downloads.resolve("gallery.zip"));
            assertThat(find(GUID, completed)).isNotEmpty();
            assertThat(total).as("the browser knew the size (Content-Length): a progress bar").isPositive();
            assertThat(received).isEqualTo(total);
            assertThat(Files.size(saved)).isEqualTo(total);
            ZipReader.UNZIP_TEST.check(saved, ExpectedEntry.fromFolder(gallery));
        }
    }

    /**
     * The demo gallery at {@code /} on the bundled samples, as a visitor uses it: two boxes ticked, a name typed,
     * "Download selected"; the browser saves the archive of exactly those two (and the folder one of them is in)
     * under that name.
     */
    @Test
    void chromium_indexPageOfTheSamples_downloadsTheFilesTickedUnderTheNameTyped() throws Exception {
        List<String> ticked = List.of("evening/sunset 2.png", "Фото на пляже.png");
        Map<String, byte[]> expected = new LinkedHashMap<>();
        for (String file : ticked) {
            expected.put(file, Files.readAllBytes(Path.of("test_photos", SAMPLE, file)));
        }
        Path downloads = Files.createDirectory(dir.resolve("downloads"));

        try (TestService service = TestService.startAsReleased(List.of("--path", "test_photos"))) {
            downloadInto(downloads);
            String target = find(TARGET_ID, browser.send("Target.createTarget",
                    "{\"url\":\"http://127.0.0.1:" + service.port() + "/\"}"));
            String session = find(SESSION_ID, browser.send("Target.attachToTarget",
                    "{\"targetId\":\"" + target + "\",\"flatten\":true}"));
            String form = "document.querySelector('form[action=\"archive/" + SAMPLE + "/\"]')";
            browser.awaitTrue(session, "document.readyState === 'complete' && " + form + " !== null", 20);
            StringBuilder fill = new StringBuilder("const form = " + form + ";\n");
            for (String file : ticked) {
                fill.append("form.querySelector('input[name=\"file\"][value=\"' + CSS.escape(")
                        .append(DevTools.json(file)).append(") + '\"]').checked = true;\n");
            }
            fill.append("form.querySelector('input[name=\"name\"]').value = 'Summer photos';\n")
                    .append("form.querySelector('button[type=\"submit\"]').click();\n");
            browser.evaluate(session, fill.toString());
            awaitDownload();

            Path saved = saved(downloads.resolve("Summer photos.zip"));
            ZipReader.PYTHON_ZIPFILE.check(saved, ExpectedEntry.fromFiles(expected));
        }
    }

    /** Downloads from now on go to {@code downloads}, and each one's progress comes as events. */
    private static void downloadInto(Path downloads) throws Exception {
        browser.send("Browser.setDownloadBehavior", "{\"behavior\":\"allow\",\"downloadPath\":" 
                + DevTools.json(downloads.toString()) + ",\"eventsEnabled\":true}");
    }

    private static String awaitDownload() throws InterruptedException {
        return browser.await(event -> event.contains("\"Browser.downloadProgress\"")
                && event.contains("\"state\":\"completed\""), 60);
    }

    /** The file once the browser has renamed its partial file to it, under the name from Content-Disposition. */
    private static Path saved(Path file) throws InterruptedException {
        for (int i = 0; i < 50 && !Files.exists(file); i++) {
            Thread.sleep(100);
        }
        assertThat(file).as("saved under the name from Content-Disposition").exists();
        return file;
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

        /** A command to the browser; its reply. */
        String send(String method, String params) throws Exception {
            return send(null, method, params);
        }

        /** A command to the page attached as {@code session} (null: to the browser); its reply. */
        String send(String session, String method, String params) throws Exception {
            String reply = reply(session, method, params);
            assertThat(reply).as(method).doesNotContain("\"error\"", "\"exceptionDetails\"");
            return reply;
        }

        /** The reply, whatever it says. */
        private String reply(String session, String method, String params) throws Exception {
            int id = ++nextId;
            socket.sendText("{\"id\":" + id + (session == null ? "" : ",\"sessionId\":\"" + session + "\"")
                    + ",\"method\":\"" + method + "\",\"params\":" + params + "}", true).get(10, TimeUnit.SECONDS);
            return await(message -> message.startsWith("{\"id\":" + id + ","), 20);
        }

        /** Runs the script in the page. */
        void evaluate(String session, String script) throws Exception {
            send(session, "Runtime.evaluate", evaluation(script));
        }

        /**
         * Waits until the expression is true in the page: it may still be loading, or not yet navigated, when an
         * evaluation can fail with the page it ran in gone.
         */
        void awaitTrue(String session, String expression, int seconds) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!reply(session, "Runtime.evaluate", evaluation(expression)).contains("\"value\":true")) {
                assertThat(System.nanoTime()).as("within " + seconds + " s: " + expression).isLessThan(deadline);
                Thread.sleep(100);
            }
        }

        private static String evaluation(String script) {
            return "{\"expression\":" + json(script) + ",\"returnByValue\":true}";
        }

        /** A JSON string of the text. */
        static String json(String text) {
            StringBuilder json = new StringBuilder("\"");
            text.chars().forEach(c -> json.append(c == '"' || c == '\\' ? "\\" + (char) c
                    : c < 0x20 ? String.format("\\u%04x", c) : String.valueOf((char) c)));
            return json.append('"').toString();
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
