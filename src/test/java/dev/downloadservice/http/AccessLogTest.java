package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One access log line per request, with the client a trusted proxy names, escaped so nothing can forge a line. */
class AccessLogTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path root;

    @Test
    void combined_downloadThroughTrustedProxy_lineWithTheForwardedClient() throws Exception {
        Files.createDirectory(root.resolve("gallery"));
        Files.writeString(root.resolve("gallery/a.txt"), "hello");
        Logged logged = logged("GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n"
                + "X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\nReferer: https://site.example/g\r\n"
                + "User-Agent: Test \"agent\"\r\n\r\n");

        assertThat(logged.line()).matches("203\\.0\\.113\\.7 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}] "
                + "\"GET /archive/gallery/ HTTP/1\\.1\" 200 " + logged.bodyLength()
                + " \"https://site\\.example/g\" \"Test \\\\x22agent\\\\x22\" \\d+\\.\\d{3}");
    }

    @Test
    void untrustedPeer_forwardedHeadersIgnored() throws Exception {
        Logged logged = logged("GET /archive/nothing/ HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n"
                + "X-Real-IP: 203.0.113.8\r\n\r\n", "--trusted-proxies", "");

        assertThat(logged.line()).startsWith("127.0.0.1 - - [").contains("\" 404 ")
                .as("no Referer nor User-Agent: \"-\" as nginx logs them").contains(" \"-\" \"-\" ");
    }

    @Test
    void json_injectionAttempt_oneEscapedLine() throws Exception {
        Logged logged = logged("GET /archive/x%22y/ HTTP/1.1\r\nHost: x\r\nX-Real-IP: 192.0.2.5\r\n"
                + "User-Agent: evil\"}, {\"status\":200 \\ \r\n\r\n", "--log-format", "json");

        assertThat(logged.line()).startsWith("{\"time\":\"").contains("\"client\":\"192.0.2.5\"", "\"method\":\"GET\"",
                "\"uri\":\"/archive/x%22y/\"", "\"status\":404", "\"user_agent\":\"evil\\\"}, {\\\"status\\\":200 \\\\\"")
                .doesNotContain("\n").endsWith("}");
    }

    @Test
    void abortedDownload_linesTheBytesActuallySent() throws Exception {
        TestFiles.sparse(root.resolve("big/v.bin"), 64L << 20);
        try (TestService service = TestService.start(root);
             LogCapture access = LogCapture.named("access")) {
            try (RawHttp http = RawHttp.connect(service.port(), 16 * 1024)) {
                http.send("GET /archive/big/ HTTP/1.1\r\nHost: x\r\n\r\n");
                http.readHead();
                http.skip(100_000);
            }

            String line = access.await(l -> l.contains("/archive/big/"), WAIT);
            long bytes = Long.parseLong(line.split("\" ")[1].split(" ")[1]);
            assertThat(bytes).isBetween(100_000L, 60L << 20);
        }
    }

    @Test
    void escaping_controlAndQuoteCharacters_neverEndALine() {
        assertThat(AccessLog.json("a\"b\\c\nd\u0001\u2028")).isEqualTo("a\\\"b\\\\c\\u000ad\\u0001\\u2028");
        assertThat(AccessLog.quoted("a\"b\\c\nd\u00e9")).isEqualTo("a\\x22b\\x5Cc\\x0Ad\\xE9");
    }

    /** The access log line of a request's target, and the length of the body it got. */
    private record Logged(String line, long bodyLength) {
    }

    /** Sends one request to a service started with these options and waits for its access log line. */
    private Logged logged(String request, String... options) throws Exception {
        String target = request.split(" ")[1];
        try (TestService service = TestService.start(root, options);
             LogCapture access = LogCapture.named("access")) {
            long bodyLength = RawHttp.exchange(service.port(), request).body().length;
            return new Logged(access.await(l -> l.contains(target), WAIT), bodyLength);
        }
    }
}
