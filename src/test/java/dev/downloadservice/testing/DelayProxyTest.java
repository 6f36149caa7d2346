package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bench's delay proxy in front of an echo server on loopback. */
@Timeout(60)
class DelayProxyTest {

    private ServerSocket echo;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            while (!echo.isClosed()) {
                try (Socket socket = echo.accept()) {
                    socket.getInputStream().transferTo(socket.getOutputStream());
                    socket.shutdownOutput(); // an end only after the client's end came through
                } catch (IOException e) {
                    // Closed: the test is over.
                }
            }
        }, "echo");
        thread.setDaemon(true);
        thread.start();
    }

    @AfterEach
    void stopEcho() throws IOException {
        echo.close();
    }

    @Test
    void roundTrip_50msEachWay_takesTwoDelays() throws Exception {
        try (DelayProxy proxy = DelayProxy.to(echo.getLocalPort(), Duration.ofMillis(50));
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            long start = System.nanoTime();
            socket.getOutputStream().write('x');
            int answer = socket.getInputStream().read();
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(answer).isEqualTo('x');
            assertThat(took).isBetween(Duration.ofMillis(100), Duration.ofSeconds(2));
        }
    }

    @Test
    void bytes_32MiBEachWay_arriveIntactInOrderThenTheEnd() throws Exception {
        byte[] sent = new byte[32 << 20];
        new Random(14).nextBytes(sent);
        try (DelayProxy proxy = DelayProxy.to(echo.getLocalPort(), Duration.ofMillis(5));
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    // Several writes: chunks of the delay line must keep their order.
                    for (int offset = 0; offset < sent.length; offset += 1_000_003) {
                        socket.getOutputStream().write(sent, offset, Math.min(1_000_003, sent.length - offset));
                    }
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            InputStream in = socket.getInputStream();
            byte[] received = in.readAllBytes(); // returns only once the echo's end came back through the proxy

            sending.join();
            assertThat(received).hasSize(sent.length).isEqualTo(sent);
        }
    }

    @Test
    void held_receiverStopsReading_senderStopsAfterTheBoundAndTheKernelsBuffers() throws Exception {
        long bound = 8 << 20;
        // Four sockets between the sender and the receiver, each buffering at most these in the kernel.
        long kernel = 2 * (maxOf("/proc/sys/net/ipv4/tcp_rmem") + maxOf("/proc/sys/net/ipv4/tcp_wmem"));
        try (ServerSocket sink = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                DelayProxy proxy = DelayProxy.to(sink.getLocalPort(), Duration.ofMillis(5), bound);
                SocketChannel sender = SocketChannel.open(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()));
                Socket receiver = sink.accept(); // and never reads
                Selector selector = Selector.open()) {
            sender.configureBlocking(false);
            sender.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
            long written = 0;
            // Until the sender has not been able to write for a second, or has passed every bound.
            while (written <= bound + kernel && selector.select(1000) > 0) {
                selector.selectedKeys().clear();
                written += sender.write(block.clear());
            }

            assertThat(written).isBetween(bound / 2, bound + kernel);
        }
    }

    /** The last of the three numbers in a tcp_rmem or tcp_wmem file: the most a socket buffers. */
    private static long maxOf(String sysctl) throws IOException {
        // One line; Files.readString read one byte of it here (a /proc file reports its size as 0).
        String[] values = Files.readAllLines(Path.of(sysctl)).get(0).trim().split("\\s+");
        return Long.parseLong(values[values.length - 1]);
    }
}
