package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.TestFiles;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SIGTERM to the real process: it stops accepting, lets running downloads finish up to the timeout, exits 0. */
class ShutdownIT {

    @TempDir
    Path root;

    private ServiceProcess start(String shutdownTimeout) throws Exception {
        Path gallery = Files.createDirectories(root.resolve("gallery"));
        TestFiles.sparse(gallery.resolve("big.bin"), 30L << 20);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return ServiceProcess.start(ServiceProcess.command(java, Map.of(), "--path", root.toString(), "--host", "127.0.0.1",
                "--port", "0", "--admin-port", "0", "--shutdown-timeout", shutdownTimeout));
    }

    @Test
    void sigterm_runningDownloadFinishes_newConnectionsRefused_healthz503_exit0() throws Exception {
        try (ServiceProcess service = start("20")) {
            int adminPort = Integer.parseInt(service.awaitLog("/metrics and /healthz on port ").replaceAll(".* port ", ""));
            try (RawHttp download = RawHttp.connect(service.port(), 16 * 1024)) {
                download.send("GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Head head = download.readHead();
                long received = download.skip(1 << 20);

                service.signal("TERM");
                service.awaitLog("draining: no longer accepting");

                assertThatThrownBy(() -> RawHttp.connect(service.port(), 0).close()).isInstanceOf(ConnectException.class);
                assertThat(status(adminPort, "/healthz")).isEqualTo(503);
                assertThat(service.process().isAlive()).as("still serving the running download").isTrue();
                received += download.skip(Long.MAX_VALUE);
                assertThat(received).as("the whole download").isEqualTo(head.contentLength());
            }
            assertThat(service.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(service.process().exitValue()).isZero();
            assertThat(service.awaitLog("stopped: ")).contains("INFO", "none cut");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT"})
    void signal_downloadLongerThanTheTimeout_cutThenExit0(String signal) throws Exception {
        try (ServiceProcess service = start("1")) {
            try (RawHttp stalled = RawHttp.connect(service.port(), 16 * 1024)) {
                stalled.send("GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Head head = stalled.readHead();
                stalled.skip(1000); // then reads nothing

                long start = System.nanoTime();
                service.signal(signal);
                assertThat(service.process().waitFor(20, TimeUnit.SECONDS)).isTrue();

                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(900L, 10_000L);
                assertThat(service.process().exitValue()).isZero();
                assertThat(service.awaitLog("stopped: ")).contains("WARN", "1 cut after the shutdown timeout");
                assertThat(service.awaitLog("download gallery ")).endsWith(": cut by the drain: the server stopped"
                        + " and the shutdown timeout passed");
                stalled.assertCutBeforeContentLength(head, 1000);
            }
        }
    }

    private static int status(int port, String path) throws IOException {
        try (RawHttp http = RawHttp.connect(port, 0)) {
            http.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            return http.readHead().code();
        }
    }
}
