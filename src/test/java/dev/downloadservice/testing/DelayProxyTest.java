package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
}
