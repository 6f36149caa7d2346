package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.DebianNginx;
import dev.downloadservice.testing.RawHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The race that an upstream keep-alive timeout below the service's idle timeout makes rare: nginx sends a
 * request on a kept connection just as the service closes it. The site must then have nginx send the request
 * again on a new connection rather than answer 502 (proxy_request_buffering off, for one, stops that retry).
 * The service cannot be made to lose that race on cue, so an upstream here always does: it answers the first
 * request on each connection and closes the connection when the second arrives.
 */
class NginxReusedConnectionIT {

    @Test
    void keptConnectionClosedUnderARequest_requestRetriedOnANewOne(@TempDir Path dir) throws Exception {
        NginxSite site = NginxSite.read();
        try (ClosingOnReuse upstream = new ClosingOnReuse();
             DebianNginx nginx = DebianNginx.withSite(dir, "download-service", site.withServiceAt(upstream.port()))) {
            nginx.start();
            // One visitor connection: one nginx worker, which keeps the connection to the upstream.
            try (RawHttp visitor = RawHttp.connect(nginx.port(), 0)) {
                String request = "GET /archive/gallery/ HTTP/1.1\r\nHost: " + site.serverName() + "\r\n\r\n";
                visitor.send(request);
                assertThat(visitor.readHead().code()).isEqualTo(200);
                assertThat(visitor.readExactly(ClosingOnReuse.BODY.length())).asString().isEqualTo(ClosingOnReuse.BODY);

                visitor.send(request);
                assertThat(visitor.readHead().code()).as("the request on the kept connection, which closed").isEqualTo(200);
            }
            assertThat(upstream.closedUnderARequest()).as("requests nginx sent on the kept connection").isEqualTo(1);
            assertThat(upstream.connections()).as("connections nginx opened: the kept one, then the retry's").isEqualTo(2);
        }
    }

    /** Answers the first request on a connection with a keep-alive 200; closes the connection on the second. */
    private static final class ClosingOnReuse implements AutoCloseable {
        static final String BODY = "ok";
        private final ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger closedUnderARequest = new AtomicInteger();
        private final Thread acceptor = new Thread(this::serve, "closing-on-reuse");

        ClosingOnReuse() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        int closedUnderARequest() {
            return closedUnderARequest.get();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket connection = server.accept()) {
                    connections.incrementAndGet();
                    BufferedReader in = new BufferedReader(
                            new InputStreamReader(connection.getInputStream(), StandardCharsets.ISO_8859_1));
                    if (!readHead(in)) {
                        continue;
                    }
                    OutputStream out = connection.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY)
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (readHead(in)) {
                        closedUnderARequest.incrementAndGet(); // by the try's close, unanswered
                    }
                } catch (IOException closedOrGone) {
                    // the server closed (the test is over) or nginx closed the connection
                }
            }
        }

        /** Reads a request head; false if the connection closed before one. */
        private static boolean readHead(BufferedReader in) throws IOException {
            String line = in.readLine();
            boolean arrived = line != null;
            while (line != null && !line.isEmpty()) {
                line = in.readLine(); // the head's lines: nothing in them matters here
            }
            return arrived;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
