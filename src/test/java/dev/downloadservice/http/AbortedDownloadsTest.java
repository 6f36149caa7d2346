package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.FolderStore;
import dev.downloadservice.testing.FolderStore.Kind;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.ProcessResources;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Downloads cut off by their clients at random points, some with a reset, from each
 * source: afterwards the process holds the files, threads and direct memory it held
 * before, no object stream is left open, and Netty's leak detector (at its strictest)
 * found no buffer that was never released.
 */
class AbortedDownloadsTest {

    private static final int CLIENTS = 16;

    @TempDir
    Path temp;

    /**
     * A thousand from disk; 120 from S3, where every small file is a GET (each cut at a
     * point of its own, most with many GETs under way: 300 took CI 80 s). The
     * store's connection pool may keep more idle connections than at the baseline (each
     * two descriptors here, client and S3Proxy): open streams, not descriptors, show a
     * leaked connection there.
     */
    @ParameterizedTest
    @CsvSource({"LOCAL, 1000, 0", "S3PROXY_4, 120, 1024"})
    void abortedDownloads_everythingFreed(Kind kind, int downloads, int fileSlack) throws Exception {
        Random random = new Random(42);
        ResourceLeakDetector.Level detection = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try (FolderStore store = FolderStore.create(kind, temp)) {
            for (int i = 0; i < 3; i++) {
                store.put("gallery", "large-" + i + ".jpg", TestFiles.randomBytes(1_000_000 + random.nextInt(2_000_000), random.nextLong()));
            }
            for (int i = 0; i < 200; i++) {
                store.put("gallery", "thumbs/t" + i + ".jpg", TestFiles.randomBytes(1 + random.nextInt(20_000), random.nextLong()));
            }
            List<String> args = new ArrayList<>(store.args());
            args.addAll(List.of("--max-downloads-per-client", "1000")); // sixteen clients on one address
            try (LogCapture leaks = LogCapture.of(ResourceLeakDetector.class);
                 TestService service = TestService.start(args)) {
                cutDownloads(service, downloads, fileSlack, random);
                assertThat(leaks.messages()).as("Netty's leak reports").noneMatch(message -> message.contains("LEAK"));
                triggerLeakReports();
                assertThat(leaks.messages()).as("Netty's leak reports").noneMatch(message -> message.contains("LEAK"));
            }
        } finally {
            ResourceLeakDetector.setLevel(detection);
        }
    }

    /**
     * The baseline is taken after 64 cuts of the same kind: by then the buffer pools
     * have grown to what such cuts need at once (a cut download's GETs still deliver
     * while the next one starts, more than a full download holds), so what is held
     * beyond the baseline afterwards is what the measured cuts kept.
     */
    private static void cutDownloads(TestService service, int downloads, int fileSlack, Random random)
            throws Exception {
        long length = fullLength(service);
        ProcessResources baseline = ProcessResources.afterWarmUp(() -> randomCut(service, length, random).call());

        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<Object>> done = new ArrayList<>();
        for (int i = 0; i < downloads; i++) {
            done.add(clients.submit(randomCut(service, length, random)));
        }
        for (Future<Object> download : done) {
            download.get();
        }
        clients.shutdown();

        ProcessResources.awaitBackTo(baseline, 8 * 1024 * 1024, fileSlack, Duration.ofSeconds(20));
        awaitNoOpenStreams(service);
    }

    /** A download cut at a random point, reset or closed, a quarter of them ranged. */
    private static Callable<Object> randomCut(TestService service, long length, Random random) {
        long cut = (long) (random.nextDouble() * length);
        boolean reset = random.nextBoolean();
        String range = random.nextInt(4) == 0 ? "bytes=" + random.nextInt((int) length) + "-" : null;
        return () -> abortAt(service, length, cut, reset, range);
    }

    /**
     * The S3 source's gauges of open object streams, of read-ahead GETs and of bytes held
     * ahead drop to zero (absent for the local source).
     */
    private static void awaitNoOpenStreams(TestService service) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<String> open;
        do {
            open = ServiceMetrics.scrape(service.port()).lines()
                    .filter(l -> l.startsWith("storage_streams_open ") || l.startsWith("storage_readahead_gets ")
                            || l.startsWith("storage_readahead_held_bytes "))
                    .filter(l -> !l.endsWith(" 0.0")).toList();
            if (open.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        assertThat(open).as("object streams still open, or bytes still held ahead").isEmpty();
    }

    /** Reads {@code cut} bytes of the body (all of it if cut is the length), then hangs up. */
    private static Object abortAt(TestService service, long length, long cut, boolean reset, String range)
            throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 64 * 1024)) {
            http.send("GET /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\n"
                    + (range == null ? "" : "Range: " + range + "\r\n") + "\r\n");
            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isIn(200, 206);
            long body = head.contentLength();
            assertThat(http.skip(Math.min(cut, body))).isEqualTo(Math.min(cut, body));
            if (reset) {
                http.resetOnClose();
            }
        }
        return null;
    }

    private static long fullLength(TestService service) throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("HEAD /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\n\r\n");
            return http.readHead().contentLength();
        }
    }

    /** The leak detector reports a lost buffer when it is collected and a later allocation looks. */
    private static void triggerLeakReports() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            for (int j = 0; j < 100; j++) {
                ByteBufAllocator.DEFAULT.directBuffer(1024).release();
            }
        }
    }
}
