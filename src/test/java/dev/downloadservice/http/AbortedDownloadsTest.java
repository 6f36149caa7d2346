package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.ProcessResources;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestService;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thousand downloads cut off by their clients at random points, some with a reset:
 * afterwards the process holds the files, threads and direct memory it held before, and
 * Netty's leak detector (at its strictest) found no buffer that was never released.
 */
class AbortedDownloadsTest {

    private static final int DOWNLOADS = 1_000;
    private static final int CLIENTS = 16;

    @TempDir
    Path root;

    @Test
    void thousandAbortedDownloads_everythingFreed() throws Exception {
        Path gallery = Files.createDirectory(root.resolve("gallery"));
        Random random = new Random(42);
        for (int i = 0; i < 3; i++) {
            writeRandom(gallery.resolve("large-" + i + ".jpg"), 1_000_000 + random.nextInt(2_000_000), random);
        }
        Files.createDirectory(gallery.resolve("thumbs"));
        for (int i = 0; i < 200; i++) {
            writeRandom(gallery.resolve("thumbs/t" + i + ".jpg"), 1 + random.nextInt(20_000), random);
        }
        ResourceLeakDetector.Level detection = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try (LogCapture leaks = LogCapture.of(ResourceLeakDetector.class);
             // Sixteen clients on one address: no per-client limit in the way.
             TestService service = TestService.start(root, "--max-downloads-per-client", "1000")) {
            long length = fullLength(service);
            ProcessResources baseline = ProcessResources.afterWarmUp(() -> abortAt(service, length, length, false, null));

            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<Object>> done = new ArrayList<>();
            for (int i = 0; i < DOWNLOADS; i++) {
                long cut = (long) (random.nextDouble() * length);
                boolean reset = random.nextBoolean();
                String range = random.nextInt(4) == 0 ? "bytes=" + random.nextInt((int) length) + "-" : null;
                Callable<Object> download = () -> abortAt(service, length, cut, reset, range);
                done.add(clients.submit(download));
            }
            for (Future<Object> download : done) {
                download.get();
            }
            clients.shutdown();

            ProcessResources.awaitBackTo(baseline, 8 * 1024 * 1024, Duration.ofSeconds(20));
            assertThat(leaks.messages()).as("Netty's leak reports").noneMatch(message -> message.contains("LEAK"));
            triggerLeakReports();
            assertThat(leaks.messages()).as("Netty's leak reports").noneMatch(message -> message.contains("LEAK"));
        } finally {
            ResourceLeakDetector.setLevel(detection);
        }
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

    private static void writeRandom(Path file, int size, Random random) throws IOException {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.write(bytes);
        }
    }
}
