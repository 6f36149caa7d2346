package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestService;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Broken and abusive HTTP gets a 4xx (505 for another HTTP version) or a closed connection, and the server goes on serving. */
class MalformedHttpTest {

    private static final String VALID = "GET /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\n\r\n";

    @TempDir
    static Path root;
    private static TestService service;

    @BeforeAll
    static void start() throws Exception {
        Path gallery = Files.createDirectory(root.resolve("gallery"));
        Files.writeString(gallery.resolve("photo.jpg"), "photo bytes");
        service = TestService.start(root, "--idle-timeout", "1");
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GARBAGE\r\n\r\n",
            "GET\r\n\r\n",
            "GET /archive/gallery/ FOO/1.1\r\nHost: x\r\n\r\n",
            "GET /archive/gallery/ HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            "GET /archive/a b/ HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /archive/gallery/ HTTP/1.1\r\nNo colon here\r\nHost: x\r\n\r\n",
            "GET /archive/gallery/ HTTP/1.1\r\n: empty name\r\nHost: x\r\n\r\n",
            "GET /archive/gallery/ HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET /archive/gallery/ HTTP/1.1\r\n Host: x\r\n\r\n",
            "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            "POST /archive/gallery/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n",
            "POST /archive/gallery/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
            "POST /archive/gallery/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n",
            "GET /archive/gallery/\r\n\r\n",
            "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "CONNECT localhost:22 HTTP/1.1\r\nHost: localhost:22\r\n\r\n",
            "TRACE /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n",
            "DELETE /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n"})
    void malformedRequest_4xxOrClosed_neverAResponseFromTheArchive(String request) throws Exception {
        String response = exchange(request);

        if (!response.isEmpty()) {
            assertThat(response).matches("(?s)HTTP/1\\.1 (4\\d\\d|505) .*"); // 505: HTTP/2's preface
        }
        assertThat(response).doesNotContain("Exception", "\tat ");
        assertServesNormally();
    }

    @Test
    void otherMajorVersion_505() throws Exception {
        assertThat(exchange("GET /archive/gallery/ HTTP/9.9\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 505 ");
        assertServesNormally();
    }

    @Test
    void hugeRequestLine_4xx() throws Exception {
        assertThat(exchange("GET /archive/" + "a".repeat(100_000) + "/ HTTP/1.1\r\nHost: x\r\n\r\n"))
                .matches("(?s)HTTP/1\\.1 4\\d\\d .*|");
        assertServesNormally();
    }

    @Test
    void hugeHeader_4xx() throws Exception {
        assertThat(exchange("GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(100_000) + "\r\n\r\n"))
                .matches("(?s)HTTP/1\\.1 4\\d\\d .*|");
        assertServesNormally();
    }

    @Test
    void tenThousandHeaders_4xx() throws Exception {
        assertThat(exchange("GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n" + "X-A: b\r\n".repeat(10_000) + "\r\n"))
                .matches("(?s)HTTP/1\\.1 4\\d\\d .*|");
        assertServesNormally();
    }

    /** A malformed request among pipelined ones: those before it are answered in order, then a 400 closes. */
    @Test
    void pipelining_badRequestAmongGoodOnes_answeredInOrderThen400AndClosed() throws Exception {
        String response = exchange("GET /archive/nothing/ HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /archive/%zz/ HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response.split("HTTP/1\\.1 ", -1)).extracting(part -> part.length() < 3 ? "" : part.substring(0, 3))
                .containsExactly("", "404", "200", "400");
    }

    /**
     * More pipelined requests than a connection holds (16 waiting, one answered): those it
     * holds are answered in order, the rest dropped, then it closes. It closed at once before,
     * answering none.
     */
    @Test
    void pipelining_moreRequestsThanHeld_thoseHeldAnsweredThenClosed() throws Exception {
        String response = exchange("HEAD /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n".repeat(18));

        assertThat(response.split("HTTP/1\\.1 200 ", -1)).hasSize(1 + 17);
    }

    /**
     * Regression: a request read in the same packet behind an answer that closes the
     * connection was answered too (into the closed channel: logged and counted, never sent).
     */
    @Test
    void pipelining_requestBehindConnectionClose_neitherAnsweredNorLogged() throws Exception {
        try (LogCapture access = LogCapture.named("access")) {
            String response = exchange("GET /healthz?first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    + "GET /healthz?second HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(response.split("HTTP/1\\.1 ", -1)).hasSize(2);
            access.await(line -> line.contains("/healthz?first"), Duration.ofSeconds(5));
            Thread.sleep(200); // a second answer would be logged right after the first, on the same thread
            assertThat(access.messages()).noneMatch(line -> line.contains("/healthz?second"));
        }
    }

    /** A client that sends its head a byte now and then is cut off after the idle timeout, not kept forever. */
    @Test
    void slowloris_headDribbledIn_closedAfterTheIdleTimeout() throws Exception {
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            socket.getOutputStream().write("GET /archive/gallery/ HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            boolean closed = false;
            for (int i = 0; i < 40 && !closed; i++) {
                Thread.sleep(100);
                try {
                    socket.getOutputStream().write("X-Slow: a\r\n".getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                } catch (IOException reset) {
                    closed = true;
                }
                closed |= socket.getInputStream().available() == 0 && isClosed(socket);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(closed).as("closed while the head was still dribbling in").isTrue();
            assertThat(millis).isBetween(900L, 3_000L);
        }
        assertServesNormally();
    }

    /** Keep-alive: the deadline starts again for each request, so a slow but steady client is fine. */
    @Test
    void keepAlive_requestsSpacedBelowTheIdleTimeout_allAnswered() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            for (int i = 0; i < 3; i++) {
                http.send(VALID);
                RawHttp.Head head = http.readHead();
                assertThat(head.code()).isEqualTo(200);
                http.readExactly((int) head.contentLength());
                Thread.sleep(300);
            }
        }
    }

    /** The deadline starts again after each response: a second head dribbled in is cut off too. */
    @Test
    void slowloris_secondHeadAfterAResponse_closedAfterTheIdleTimeout() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(VALID);
            http.readExactly((int) http.readHead().contentLength());
            long start = System.nanoTime();
            try {
                http.send("GET /archive/gallery/ HTTP/1.1\r\n");
                for (int i = 0; i < 40; i++) {
                    Thread.sleep(100);
                    http.send("X-Slow: a\r\n");
                }
            } catch (IOException closed) {
                // Expected: the server closed the connection.
            }
            assertThat(http.skip(1)).as("closed, nothing answered").isZero();
            assertThat((System.nanoTime() - start) / 1_000_000).isBetween(900L, 3_000L);
        }
    }

    private static boolean isClosed(Socket socket) throws IOException {
        socket.setSoTimeout(1);
        try {
            return socket.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", service.port()), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Sends the bytes and returns everything the server answers until it closes (or 5 s pass). */
    static String exchange(String request) throws IOException {
        try (Socket socket = connect()) {
            socket.setSoTimeout(5_000);
            try {
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            } catch (IOException closedWhileSending) {
                // A server that gave up on a huge request may close before taking all of it.
            }
            InputStream in = socket.getInputStream();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException endOfAnswer) {
                // Kept open after answering (keep-alive), or reset: what arrived is the answer.
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    static void assertServesNormally() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(VALID);
            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isEqualTo(200);
            assertThat(http.readExactly((int) head.contentLength())).startsWith(0x50, 0x4B, 0x03, 0x04);
        }
    }
}
