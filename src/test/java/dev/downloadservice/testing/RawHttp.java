package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A plain socket client for what an HTTP library hides: reading part of a body and
 * hanging up, counting the bytes that arrive before the server closes, reusing one
 * connection for several requests.
 */
public final class RawHttp implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** @param receiveBuffer the socket's receive buffer, small to make the server wait for a slow reader; 0 for the default */
    public static RawHttp connect(int port, int receiveBuffer) throws IOException {
        return connect(port, receiveBuffer, 30_000);
    }

    /** @param readTimeoutMillis how long a read may wait for the server before the test fails */
    public static RawHttp connect(int port, int receiveBuffer, int readTimeoutMillis) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(readTimeoutMillis);
        return new RawHttp(socket);
    }

    /**
     * One request on a connection of its own, and its response read whole: the head, then
     * Content-Length bytes of body (none if the head has no length).
     */
    public static Response exchange(int port, String request) throws IOException {
        try (RawHttp http = connect(port, 0)) {
            http.send(request);
            Head head = http.readHead();
            String length = head.headers().get("content-length");
            return new Response(head, length == null ? new byte[0] : http.readExactly(Integer.parseInt(length)));
        }
    }

    public void send(String request) throws IOException {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Reads a status line and headers; header names in lower case. */
    public Head readHead() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        String status = null;
        Map<String, String> headers = new LinkedHashMap<>();
        for (int b; (b = in.read()) >= 0; ) {
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.ISO_8859_1).strip();
            line.reset();
            if (status == null) {
                status = text;
            } else if (text.isEmpty()) {
                return new Head(status, headers);
            } else {
                int colon = text.indexOf(':');
                headers.put(text.substring(0, colon).toLowerCase(Locale.ROOT), text.substring(colon + 1).strip());
            }
        }
        throw new IOException("connection closed before the end of the head; status " + status);
    }

    /** Reads up to {@code limit} bytes, stopping early at end of stream; returns how many arrived. */
    public long skip(long limit) throws IOException {
        return copy(OutputStream.nullOutputStream(), limit);
    }

    /** Copies up to {@code limit} bytes to {@code out}, stopping early at end of stream; returns how many. */
    public long copy(OutputStream out, long limit) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        while (total < limit) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total));
            if (n < 0) {
                break;
            }
            out.write(buffer, 0, n);
            total += n;
        }
        return total;
    }

    public byte[] readExactly(int length) throws IOException {
        return in.readNBytes(length);
    }

    /**
     * Reads on until the server closes, and checks that the download was cut: once a 200
     * and its Content-Length are out, closing short is the only way left for the server to
     * say the archive failed. Returns the body bytes that arrived, {@code alreadyRead} included.
     */
    public long assertCutBeforeContentLength(Head head, long alreadyRead) throws IOException {
        long received = alreadyRead + skip(Long.MAX_VALUE);
        assertThat(received).as("closed before Content-Length").isLessThan(head.contentLength());
        return received;
    }

    /**
     * GETs {@code target}, makes {@code change} once the head (a 200) and the first
     * {@code before} bytes of the body are in, and then checks that the download is cut
     * ({@link #assertCutBeforeContentLength}). Returns the body bytes that arrived.
     */
    public long cutByChange(String target, long before, Change change) throws Exception {
        send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        Head head = readHead();
        assertThat(head.code()).isEqualTo(200);
        assertThat(skip(before)).isEqualTo(before);

        change.make();
        return assertCutBeforeContentLength(head, before);
    }

    /** What a test does to the files under a download that is under way. */
    public interface Change {
        void make() throws Exception;
    }

    /** Makes {@link #close} send a reset (RST) instead of a normal close, as a crashed client or a proxy might. */
    public void resetOnClose() throws IOException {
        socket.setSoLinger(true, 0);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    public record Head(String status, Map<String, String> headers) {
        public int code() {
            return Integer.parseInt(status.split(" ")[1]);
        }

        public long contentLength() {
            return Long.parseLong(headers.get("content-length"));
        }
    }

    /** A response read whole by {@link #exchange}. */
    public record Response(Head head, byte[] body) {
        public int code() {
            return head.code();
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
