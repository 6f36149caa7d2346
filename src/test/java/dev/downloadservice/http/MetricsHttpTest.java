package dev.downloadservice.http;

import static dev.downloadservice.testing.RawHttp.exchange;
import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.RawHttp.Response;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics and /healthz over real HTTP, on the archive port or on an admin port of their own. */
class MetricsHttpTest {

    @TempDir
    Path root;

    @Test
    void metrics_afterDownloads_countEachOutcomeAndTheCache() throws Exception {
        TestFiles.random(root.resolve("gallery/photo.jpg"), 2_000_000, 1);
        // Too big for the socket buffers to take whole: a client that leaves early really cuts it.
        TestFiles.sparse(root.resolve("big/video.bin"), 64L << 20);
        try (TestService service = TestService.start(root)) {
            int port = service.port();
            assertThat(exchange(port, "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(200);
            assertThat(exchange(port, "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(200);
            assertThat(exchange(port, "GET /archive/nothing/ HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(404);
            try (RawHttp http = RawHttp.connect(port, 16 * 1024)) {
                http.send("GET /archive/big/ HTTP/1.1\r\nHost: x\r\n\r\n");
                http.readHead();
                http.skip(1000);
            }

            String metrics = ServiceMetrics.awaitDownloadsEnded(port, "client_gone", 1);
            Response scrape = exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(scrape.head().headers().get("content-type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
            assertThat(metrics).contains(
                    "downloads_started_total 3.0",
                    "downloads_ended_total{outcome=\"complete\"} 2.0",
                    "downloads_ended_total{outcome=\"file_changed\"} 0.0",
                    "downloads_active 0.0",
                    "requests_refused_total{status=\"404\"} 1.0",
                    "requests_refused_total{status=\"503\"} 0.0", // from the start: the first one is an increase
                    "requests_refused_total{status=\"500\"} 0.0",
                    "crc_cache_misses_total 2.0",
                    "crc_cache_hits_total 1.0",
                    "crc_read_bytes_total 6.9108864E7",
                    "downloads_duration_seconds_bucket{le=",
                    "jvm_memory_used_bytes{",
                    "process_files_open_files ",
                    "netty_direct_memory_used_bytes ");
            // Two whole archives, and what the kernel took of the cut one before the client left.
            double sent = ServiceMetrics.value(metrics, "downloads_sent_bytes_total");
            assertThat(sent).isBetween(4_000_200.0, 4_000_400.0 + (32 << 20));
        }
    }

    @Test
    void healthz_whileServing_200() throws Exception {
        try (TestService service = TestService.start(root)) {
            Response health = exchange(service.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(health.code()).isEqualTo(200);
            assertThat(health.text()).isEqualTo("ok\n");
        }
    }

    @Test
    void adminPort_metricsAndHealthOnlyThere_archivesOnlyOnTheMainPort() throws Exception {
        Files.createDirectory(root.resolve("gallery"));
        try (TestService service = TestService.start(root, "--admin-port", "0")) {
            int main = service.port();
            int admin = service.service().adminPort();

            assertThat(admin).isNotEqualTo(main);
            assertThat(exchange(main, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(404);
            assertThat(exchange(main, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(404);
            assertThat(exchange(main, "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(200);
            assertThat(exchange(admin, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").text()).contains("downloads_started_total");
            assertThat(exchange(admin, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(200);
            assertThat(exchange(admin, "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(404);
            assertThat(exchange(admin, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").code()).isEqualTo(404);
        }
    }
}
