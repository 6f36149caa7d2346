package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.downloadservice.testing.ServiceProcess;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.DomainDatagramSocketAddress;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar tells its service manager when it is ready and when it stops, as systemd
 * expects of a {@code Type=notify} unit: datagrams to the socket in {@code NOTIFY_SOCKET},
 * received here as systemd receives them. A stand-in for systemd because CI has none as
 * PID 1; the real one runs the unit in {@code src/test/systemd/run.sh}.
 */
class ServiceManagerIT {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void readyOnceItListens_stoppingWhenItDrains(@TempDir Path root, @TempDir Path run) throws Exception {
        assumeTrue(Epoll.isAvailable(), "Unix datagram sockets come with Netty's native transport");
        Files.createDirectory(root.resolve("gallery"));
        Path notifySocket = run.resolve("notify");
        Socket manager = Socket.newSocketDomainDgram();
        try {
            manager.bind(new DomainSocketAddress(notifySocket.toString()));

            try (ServiceProcess service = ServiceProcess.start(JAVA, Map.of("NOTIFY_SOCKET", notifySocket.toString()),
                    "--path", root.toString(), "--host", "127.0.0.1", "--port", "0")) {
                String ready = receive(manager);
                assertThat(ready).startsWith("READY=1\nSTATUS=serving " + root);
                assertThat(service.download("gallery", run.resolve("a.zip"))).exists(); // it listened when it said so

                service.signal("TERM");
                assertThat(receive(manager)).startsWith("STOPPING=1");
            }
        } finally {
            manager.close();
        }
    }

    /** The next datagram; the socket does not block, so it is asked again until one came. */
    private static String receive(Socket socket) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        while (true) {
            DomainDatagramSocketAddress sender = socket.recvFromDomainSocket(buffer, 0, buffer.capacity());
            if (sender != null) {
                byte[] bytes = new byte[sender.receivedAmount()];
                buffer.get(0, bytes);
                return new String(bytes, StandardCharsets.UTF_8);
            }
            Thread.sleep(20);
        }
    }
}
