package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Back-pressure, throttling, a client that goes away, files that change while they are sent. */
class ArchiveStreamingTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long BIG = 64L << 20;

    @TempDir
    Path root;

    @Test
    void delay_pausesBetweenChunksWithoutBlockingOtherRequests() throws Exception {
        Path folder = root.resolve("slow");
        TestFiles.random(folder.resolve("a.bin"), 200_000, 1);
        TestFiles.random(folder.resolve("b.bin"), 200_000, 2);
        HttpClient client = HttpClient.newHttpClient();
        try (TestService service = TestService.start(root, "--delay", "0.1")) {
            long start = System.nanoTime();
            CompletableFuture<HttpResponse<Path>> download = client.sendAsync(
                    HttpRequest.newBuilder(service.uri("/archive/slow/")).build(),
                    HttpResponse.BodyHandlers.ofFile(root.resolve("slow.zip")));

            HttpResponse<String> index = client.send(HttpRequest.newBuilder(service.uri("/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(index.statusCode()).isEqualTo(200);
            assertThat(download).as("the index page is answered while the throttled download runs").isNotDone();

            HttpResponse<Path> response = download.get();
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            // 400 kB in 64 KiB chunks is at least 7 chunks, so at least 6 pauses of 100 ms.
            assertThat(elapsedMillis).isGreaterThanOrEqualTo(600);
            ZipReader.UNZIP_TEST.check(response.body(), ExpectedEntry.fromFolder(folder));
        }
    }

    @Test
    void clientGone_midDownload_countedWithBytesSentAndFilesClosed() throws Exception {
        Path folder = Files.createDirectory(root.resolve("big"));
        TestFiles.sparse(folder.resolve("1.bin"), BIG);
        TestFiles.sparse(folder.resolve("2.bin"), BIG);
        try (TestService service = TestService.start(root)) {
            try (RawHttp http = RawHttp.connect(service.port(), 64 * 1024)) {
                http.send("GET /archive/big/ HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Head head = http.readHead();
                assertThat(head.code()).isEqualTo(200);
                assertThat(http.skip(1 << 20)).isEqualTo(1 << 20);
                assertThat(openFilesUnder(folder)).as("a file is open while it is sent").isNotEmpty();
            }

            String metrics = ServiceMetrics.awaitDownloadsEnded(service.port(), "client_gone", 1);
            assertThat(ServiceMetrics.value(metrics, "downloads_sent_bytes_total")).isLessThan(2 * BIG);
            awaitNoOpenFilesUnder(folder);
        }
    }

    /**
     * The sockets take little from a download whose client reads nothing after its first byte: the kernel would
     * otherwise take up to {@code tcp_wmem}'s maximum (4 MiB here) at once, so that a slow
     * client looked fast and was given large parts to hold (HttpServer.Listener). Counted as
     * the bytes whose writes completed, once the client hung up (a write the socket took in
     * part does not count: the bound is what matters, not an exact figure).
     */
    @Test
    void clientReadingNothing_theSocketTakesFewHundredKiB() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "TCP_NOTSENT_LOWAT is set on the native transport only");
        Path folder = Files.createDirectory(root.resolve("many"));
        for (int i = 0; i < 500; i++) {
            TestFiles.random(folder.resolve("f" + i), 20_000, i); // small files: every byte goes through memory
        }
        try (TestService service = TestService.start(root)) {
            try (RawHttp http = RawHttp.connect(service.port(), 64 * 1024)) {
                http.send("GET /archive/many/ HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(http.readHead().code()).isEqualTo(200);
                assertThat(http.skip(1)).as("the body is under way").isEqualTo(1);
                Thread.sleep(1500); // without the bound, the kernel takes its 4 MiB within milliseconds
                http.resetOnClose();
            }

            String metrics = ServiceMetrics.awaitDownloadsEnded(service.port(), "client_gone", 1);
            assertThat(ServiceMetrics.value(metrics, "downloads_sent_bytes_total"))
                    .as("bytes the sockets took from a client that read nothing").isLessThan(1024.0 * 1024);
        }
    }

    @Test
    void complete_manySmallFiles_countsEveryByteAsSent() throws Exception {
        Path folder = Files.createDirectory(root.resolve("small"));
        for (int i = 0; i < 5_000; i++) {
            Files.writeString(folder.resolve("f" + i), "x".repeat(i % 300));
        }
        try (TestService service = TestService.start(root)) {
            Path zip = service.download("small", root.resolve("small.zip"));

            String metrics = ServiceMetrics.awaitDownloadsEnded(service.port(), "complete", 1);
            assertThat(ServiceMetrics.value(metrics, "downloads_sent_bytes_total")).isEqualTo(Files.size(zip));
        }
    }

    @Test
    void sendTimeout_clientThatStopsReading_droppedAndFilesClosed() throws Exception {
        Path folder = Files.createDirectory(root.resolve("stalled"));
        TestFiles.sparse(folder.resolve("1.bin"), BIG);
        try (TestService service = TestService.start(root, "--send-timeout", "1");
             RawHttp http = RawHttp.connect(service.port(), 16 * 1024)) {
            http.send("GET /archive/stalled/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.readHead().code()).isEqualTo(200);
            // Read nothing more: the socket buffers fill and the server can send nothing for a second.

            ServiceMetrics.awaitDownloadsEnded(service.port(), "timeout", 1);
            awaitNoOpenFilesUnder(folder);
        }
    }

    /** Regression: nothing is written while a huge file's CRC is computed, and that was taken for an idle client. */
    @Test
    void sendTimeout_serverComputingALongCrc_notMistakenForAStalledClient() throws Exception {
        Path folder = Files.createDirectory(root.resolve("huge"));
        TestFiles.sparse(folder.resolve("huge.bin"), 6L << 30); // its CRC takes seconds to compute
        try (TestService service = TestService.start(root, "--send-timeout", "1");
             RawHttp http = RawHttp.connect(service.port(), 0, 180_000)) {
            http.send("GET /archive/huge/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.readHead().code()).isEqualTo(200);

            assertThat(http.skip(1 << 20)).as("the first bytes come once the CRC is known").isEqualTo(1 << 20);
        }
    }

    /** The two timeouts apart: a keep-alive connection between requests waits the idle timeout, not the send timeout. */
    @Test
    void keepAliveBetweenRequests_boundByTheIdleTimeoutNotTheSendTimeout() throws Exception {
        Files.createDirectory(root.resolve("empty"));
        try (TestService service = TestService.start(root, "--send-timeout", "1", "--idle-timeout", "3");
             RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("GET /archive/empty/ HTTP/1.1\r\nHost: x\r\n\r\n");
            http.readExactly((int) http.readHead().contentLength());
            long start = System.nanoTime();
            Thread.sleep(1_800);
            http.send("HEAD /archive/empty/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.readHead().code()).as("still open after the send timeout").isEqualTo(200);

            assertThat(http.skip(1)).as("then closed, idle").isZero();
            assertThat(System.nanoTime() - start).isGreaterThan(4_000_000_000L);
        }
    }

    @Test
    void idleTimeout_connectionWithoutRequest_closed() throws Exception {
        try (TestService service = TestService.start(root, "--idle-timeout", "1");
             RawHttp http = RawHttp.connect(service.port(), 0)) {
            long start = System.nanoTime();

            assertThat(http.skip(1)).as("end of stream, nothing sent").isZero();
            assertThat(System.nanoTime() - start).isGreaterThan(900_000_000L);
        }
    }

    static Stream<Arguments> changes() {
        Consumer<Path> grow = file -> io(() -> Files.write(file, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND));
        Consumer<Path> truncate = file -> io(() -> TestFiles.sparse(file, BIG / 2));
        Consumer<Path> touch = file -> io(() -> Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000_000_000L)));
        Consumer<Path> delete = file -> io(() -> Files.delete(file));
        Consumer<Path> rewrite = file -> io(() -> TestFiles.rewriteKeepingMtime(file, BIG / 2, new byte[] {1, 2, 3}));
        return Stream.of(Arguments.of("grown", grow), Arguments.of("truncated", truncate),
                Arguments.of("touched", touch), Arguments.of("deleted", delete),
                Arguments.of("rewritten in place, old mtime put back", rewrite));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void fileChanged_beforeItIsSent_downloadAbortedBeforeContentLength(String how, Consumer<Path> change) throws Exception {
        Path folder = fourBigFiles("changing");
        try (TestService service = TestService.start(root);
             RawHttp http = RawHttp.connect(service.port(), 64 * 1024)) {
            long received = http.cutByChange("/archive/changing/", 1 << 20, () -> change.accept(folder.resolve("4.bin")));

            assertThat(received).as("everything before the changed file arrived").isGreaterThan(3 * BIG);
            ServiceMetrics.awaitDownloadsEnded(service.port(), "file_changed", 1);
        }
    }

    /** Regression: a file uploaded again while sendfile sent it completed the download with stale bytes. */
    @Test
    void fileChanged_whileItIsSent_downloadAbortedBeforeContentLength() throws Exception {
        Path folder = Files.createDirectory(root.resolve("sending"));
        TestFiles.sparse(folder.resolve("1.bin"), BIG);
        TestFiles.sparse(folder.resolve("2.bin"), BIG);
        try (TestService service = TestService.start(root);
             RawHttp http = RawHttp.connect(service.port(), 64 * 1024)) {
            // After the first MiB, 1.bin is being sent.
            http.cutByChange("/archive/sending/", 1 << 20,
                    () -> Files.write(folder.resolve("1.bin"), new byte[] {1}, java.nio.file.StandardOpenOption.APPEND));

            ServiceMetrics.awaitDownloadsEnded(service.port(), "file_changed", 1);
        }
    }

    @Test
    void smallFileChanged_beforeItsBatchIsRead_downloadAborted() throws Exception {
        Path folder = fiftySmallFiles("small-changing");

        try (TestService service = TestService.start(root, "--delay", "0.2")) {
            throttledDownload(service, "small-changing",
                    () -> Files.setLastModifiedTime(folder.resolve("f49.jpg"), FileTime.fromMillis(1_000_000_000_000L)));

            ServiceMetrics.awaitDownloadsEnded(service.port(), "file_changed", 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"renamed", "deleted"})
    void folderGone_midDownload_abortedAndTheNewNameServes(String how) throws Exception {
        Path folder = fourBigFiles("going");
        try (TestService service = TestService.start(root);
             RawHttp http = RawHttp.connect(service.port(), 64 * 1024)) {
            http.cutByChange("/archive/going/", 1 << 20, () -> {
                if (how.equals("renamed")) {
                    Files.move(folder, root.resolve("gone"));
                } else {
                    for (int i = 1; i <= 4; i++) {
                        Files.delete(folder.resolve(i + ".bin"));
                    }
                    Files.delete(folder);
                }
            });

            ServiceMetrics.awaitDownloadsEnded(service.port(), "file_changed", 1);
            HttpClient client = HttpClient.newHttpClient();
            assertThat(client.send(HttpRequest.newBuilder(service.uri("/archive/going/")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(404);
            if (how.equals("renamed")) {
                HttpResponse<Path> moved = client.send(HttpRequest.newBuilder(service.uri("/archive/gone/")).build(),
                        HttpResponse.BodyHandlers.ofFile(root.resolve("gone.zip")));
                assertThat(moved.statusCode()).isEqualTo(200);
                ZipReader.COMMONS_COMPRESS.check(moved.body(), ExpectedEntry.fromFolder(root.resolve("gone")));
            }
        }
    }

    /**
     * A real read error, not a change the checks see first: a small file swapped for a
     * directory after the listing opens fine (no check before reading small files) and
     * then fails to read (EISDIR). The download aborts as an error, not a change, a warning
     * with the stack trace tells the operator, and the next download of the folder, listed
     * afresh, is complete.
     */
    @Test
    void readError_midDownload_abortedAndLogged() throws Exception {
        Path folder = fiftySmallFiles("failing");
        try (TestService service = TestService.start(root, "--delay", "0.2");
             LogCapture log = LogCapture.of(Download.class)) {
            throttledDownload(service, "failing", () -> {
                Files.delete(folder.resolve("f49.jpg"));
                Files.createDirectory(folder.resolve("f49.jpg"));
            });

            ServiceMetrics.awaitDownloadsEnded(service.port(), "error", 1);
            assertThat(log.messages()).contains("download failing failed");
            // The same service, listing afresh: nothing of the failed download is left behind.
            Path zip = service.download("failing", root.resolve("failing.zip"));
            ZipReader.COMMONS_COMPRESS.check(zip, ExpectedEntry.fromFolder(folder));
        }
    }

    private Path fiftySmallFiles(String name) throws IOException {
        Path folder = Files.createDirectory(root.resolve(name));
        for (int i = 0; i < 50; i++) {
            TestFiles.random(folder.resolve(String.format("f%02d.jpg", i)), 10_000, i);
        }
        return folder;
    }

    /** Four files of {@link #BIG}: a change to the last comes while the first is still being sent. */
    private Path fourBigFiles(String name) throws IOException {
        Path folder = Files.createDirectory(root.resolve(name));
        for (int i = 1; i <= 4; i++) {
            TestFiles.sparse(folder.resolve(i + ".bin"), BIG);
        }
        return folder;
    }

    /**
     * Downloads the folder from a throttled service (--delay 0.2: 64 KiB batches, 0.2 s apart,
     * so its last file is read well after the first bytes), makes the change after the first
     * 1,000 bytes, and checks that the download then ends before Content-Length.
     */
    private static void throttledDownload(TestService service, String name, RawHttp.Change change) throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.cutByChange("/archive/" + name + "/", 1000, change);
        }
    }

    @Test
    void fileChanged_afterAbort_nextDownloadIsCorrect() throws Exception {
        Path folder = Files.createDirectory(root.resolve("f"));
        TestFiles.random(folder.resolve("a.bin"), 10_000, 1);
        try (TestService service = TestService.start(root)) {
            HttpClient client = HttpClient.newHttpClient();
            client.send(HttpRequest.newBuilder(service.uri("/archive/f/")).build(), HttpResponse.BodyHandlers.discarding());
            TestFiles.random(folder.resolve("a.bin"), 12_345, 2);

            HttpResponse<Path> response = client.send(HttpRequest.newBuilder(service.uri("/archive/f/")).build(),
                    HttpResponse.BodyHandlers.ofFile(root.resolve("f.zip")));

            ZipReader.COMMONS_COMPRESS.check(response.body(), ExpectedEntry.fromFolder(folder));
        }
    }

    private static List<Path> openFilesUnder(Path folder) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd);
                } catch (IOException gone) {
                    return Path.of("");
                }
            }).filter(target -> target.startsWith(folder)).toList();
        }
    }

    private static void awaitNoOpenFilesUnder(Path folder) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!openFilesUnder(folder).isEmpty()) {
            assertThat(System.nanoTime()).as("files still open: " + openFilesUnder(folder)).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void io(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
