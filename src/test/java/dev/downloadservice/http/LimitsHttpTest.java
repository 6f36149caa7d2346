package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ManifestReader;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each limit over real HTTP: downloads at once, per client, request line and header size. */
class LimitsHttpTest {

    @TempDir
    Path root;

    @BeforeEach
    void bigFolder() throws Exception {
        TestFiles.sparse(root.resolve("big/v.bin"), 256L << 20);
    }

    @Test
    void maxDownloads_oneMore_503WithRetryAfter_thenFreeAgainOnceOneEnds() throws Exception {
        try (TestService service = TestService.start(root, "--max-downloads", "2");
             RawHttp first = stalledDownload(service, "");
             RawHttp second = stalledDownload(service, "")) {
            try (RawHttp third = RawHttp.connect(service.port(), 0)) {
                third.send(get(""));
                RawHttp.Head head = third.readHead();
                assertThat(head.code()).isEqualTo(503);
                assertThat(head.headers().get("retry-after")).isEqualTo("10");
            }
            assertThat(head(service, "")).as("HEAD and other answers are not downloads").isEqualTo(200);

            first.close();
            assertThat(awaitDownloadStatus(service, "")).isEqualTo(200);
        }
    }

    @Test
    void maxDownloadsPerClient_sameClientRefused_otherClientServed() throws Exception {
        try (TestService service = TestService.start(root, "--max-downloads-per-client", "1");
             RawHttp first = stalledDownload(service, "X-Forwarded-For: 203.0.113.1\r\n")) {
            assertThat(status(service, get("X-Forwarded-For: 203.0.113.1\r\n"))).isEqualTo(503);
            assertThat(status(service, get("X-Forwarded-For: 203.0.113.2\r\n"))).isEqualTo(200);
        }
    }

    /**
     * Every request for an archive lists its folder, a HEAD too: listings under way are bounded
     * per client (and in all) as downloads are, and one whose client went away is abandoned.
     */
    @Test
    void maxDownloadsPerClient_listingsAtOnce_oneMoreIs503_oneWhoseClientLeftIsAbandoned() throws Exception {
        Path huge = Files.createDirectory(root.resolve("huge"));
        for (int i = 0; i < 40_000; i++) {
            Files.createFile(huge.resolve("f" + i));
        }
        String headHuge = "HEAD /archive/huge/ HTTP/1.1\r\nHost: x\r\n\r\n";
        try (TestService service = TestService.start(root, "--max-downloads-per-client", "1")) {
            try (RawHttp one = RawHttp.connect(service.port(), 0);
                 RawHttp other = RawHttp.connect(service.port(), 0)) {
                one.send(headHuge);
                other.send(headHuge); // while the first is listed (40,000 names take tens of milliseconds)
                assertThat(List.of(one.readHead().code(), other.readHead().code())).containsExactlyInAnyOrder(200, 503);
            }
            try (RawHttp gone = RawHttp.connect(service.port(), 0)) {
                gone.send(headHuge); // and hangs up at once: the request arrives, then the end of the connection
            }
            ServiceMetrics.awaitLine(service.port(), "listings_abandoned_total 1.0", Duration.ofSeconds(10));
            assertThat(status(service, headHuge)).as("the abandoned listing's slot given back").isEqualTo(200);
        }
    }

    /** A manifest is no download: with every download slot taken it is still answered, where the archive is a 503. */
    @Test
    void maxDownloads_allTaken_theManifestStillAnswered() throws Exception {
        try (TestService service = TestService.start(root, "--max-downloads", "1");
             RawHttp first = stalledDownload(service, "")) {
            assertThat(status(service, get(""))).isEqualTo(503);
            assertThat(status(service, "GET /archive/big/?list HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo(200);
        }
    }

    /**
     * Over a limit the manifest is still a 200, so that a site learns the size before it offers the download: it
     * says why the archive is refused (the 413's text), and lists no entries.
     */
    @Test
    void maxArchiveEntries_over_theManifestSaysWhyAndListsNoEntries() throws Exception {
        for (int i = 0; i < 3; i++) {
            TestFiles.random(root.resolve("three/" + i + ".jpg"), 1000, i);
        }
        try (TestService service = TestService.start(root, "--max-archive-entries", "2")) {
            String why = RawHttp.exchange(service.port(), "GET /archive/three/ HTTP/1.1\r\nHost: x\r\n\r\n").text();
            RawHttp.Response listed = RawHttp.exchange(service.port(),
                    "GET /archive/three/?list HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(listed.code()).isEqualTo(200);
            assertThat(status(service, "HEAD /archive/three/ HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo(413);
            assertThat(ManifestReader.eval(listed.body(), "[m['refused'], m['entryCount'], 'entries' in m]", root))
                    .isEqualTo("[\"" + why.strip() + "\", 3, false]");
        }
    }

    @Test
    void longRequestLine_414_bigHeaders_431() throws Exception {
        try (TestService service = TestService.start(root, "--max-url-length", "300", "--max-header-size", "2000")) {
            assertThat(status(service, "GET /archive/" + "a".repeat(300) + "/ HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo(414);
            assertThat(status(service, "GET /archive/big/ HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(2_000) + "\r\n\r\n"))
                    .isEqualTo(431);
            assertThat(status(service, "HEAD /archive/" + "a".repeat(200) + "/ HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo(404);
        }
    }

    /** An archive over a limit is refused before a byte of it, whatever the request, with its size and the limit. */
    @Test
    void maxArchiveSizeAndEntries_over_413ForGetHeadAndRange_atTheLimit_served() throws Exception {
        for (int i = 0; i < 3; i++) {
            TestFiles.random(root.resolve("three/" + i + ".jpg"), 1000, i);
        }
        String get = "GET /archive/three/ HTTP/1.1\r\nHost: x\r\n\r\n";
        List<String> requests = List.of(get, "HEAD /archive/three/ HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /archive/three/ HTTP/1.1\r\nHost: x\r\nRange: bytes=0-99\r\n\r\n");
        long length;
        try (TestService service = TestService.start(root, "--max-archive-size", "2k", "--max-archive-entries", "3")) {
            assertRefusedBeforeAByte(service, requests);
            String text = RawHttp.exchange(service.port(), get).text();
            assertThat(text).matches("Archive too large: 3\\d{3} bytes, more than the limit of 2048 bytes\n");
            length = Long.parseLong(text.replaceAll("(?s)\\D*(\\d+) bytes.*", "$1"));
        }
        try (TestService service = TestService.start(root, "--max-archive-size", Long.toString(length),
                "--max-archive-entries", "2")) {
            assertRefusedBeforeAByte(service, requests);
            assertThat(RawHttp.exchange(service.port(), get).text())
                    .isEqualTo("Archive too large: 3 files and folders, more than the limit of 2\n");
        }
        try (TestService service = TestService.start(root, "--max-archive-size", Long.toString(length),
                "--max-archive-entries", "3")) {
            assertThat(status(service, get)).as("exactly at both limits").isEqualTo(200);
        }
    }

    private static void assertRefusedBeforeAByte(TestService service, List<String> requests) throws Exception {
        for (String request : requests) {
            try (RawHttp http = RawHttp.connect(service.port(), 0)) {
                http.send(request);
                RawHttp.Head head = http.readHead();
                assertThat(head.code()).as(request).isEqualTo(413);
                assertThat(head.headers()).as("nothing of the archive").doesNotContainKeys("etag", "content-range");
                assertThat(head.headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
            }
        }
    }

    private static String get(String headers) {
        return "GET /archive/big/ HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n";
    }

    /** A download whose client reads the head and then nothing: it holds its slot. */
    private static RawHttp stalledDownload(TestService service, String headers) throws Exception {
        RawHttp http = RawHttp.connect(service.port(), 16 * 1024);
        http.send(get(headers));
        assertThat(http.readHead().code()).isEqualTo(200);
        return http;
    }

    private static int status(TestService service, String request) throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 16 * 1024)) {
            http.send(request);
            return http.readHead().code();
        }
    }

    private static int head(TestService service, String headers) throws Exception {
        return status(service, "HEAD /archive/big/ HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
    }

    /** A slot is given back when the server sees the client go, a moment after it hung up. */
    private static int awaitDownloadStatus(TestService service, String headers) throws Exception {
        int status = 0;
        for (int i = 0; i < 100 && status != 200; i++) {
            status = status(service, get(headers));
            Thread.sleep(status == 200 ? 0 : 50);
        }
        return status;
    }
}
