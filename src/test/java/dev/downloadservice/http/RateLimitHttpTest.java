package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --rate-limit over real HTTP: each download at most the rate, the server meanwhile as quick as ever. */
class RateLimitHttpTest {

    @TempDir
    Path root;

    @Test
    void rateLimit_eachDownloadTakesItsTime_othersNotBlocked() throws Exception {
        TestFiles.random(root.resolve("gallery/photo.jpg"), 600_000, 9);
        try (TestService service = TestService.start(root, "--rate-limit", "200k")) {
            long start = System.nanoTime();
            CompletableFuture<Long> first = CompletableFuture.supplyAsync(() -> download(service));
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> download(service));

            long healthMillis = timeHealth(service);
            long bytes = first.join() + second.join();
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat(bytes).isGreaterThan(1_200_000);
            // 600 kB at 200 KiB/s is about 2.9 s, for each download at once: not 5.8 s, not 0.1 s.
            assertThat(seconds).isBetween(2.4, 5.0);
            assertThat(healthMillis).as("the event loop is never blocked by pacing").isLessThan(500);
        }
    }

    private static long download(TestService service) {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Head head = http.readHead();
            return http.readExactly((int) head.contentLength()).length;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long timeHealth(TestService service) throws Exception {
        Thread.sleep(500);
        long start = System.nanoTime();
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.readHead().code()).isEqualTo(200);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
