package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** Against the kernel's own tables: a loopback connection whose reader has not read is not drained. */
class SocketQueuesTest {

    private final SocketQueues queues = SocketQueues.find().orElseThrow();

    @Test
    void drained_bytesWaitingInTheLocalPeersReceiveQueue_false() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            InetSocketAddress local = (InetSocketAddress) server.getLocalSocketAddress();
            InetSocketAddress remote = (InetSocketAddress) server.getRemoteSocketAddress();
            assertThat(queues.drained(local, remote)).as("nothing written yet").isTrue();

            server.getOutputStream().write(new byte[100_000]);
            server.getOutputStream().flush();

            assertThat(queues.drained(local, remote)).as("written, acknowledged perhaps, not read").isFalse();
            InputStream in = client.getInputStream();
            assertThat(in.readNBytes(100_000)).hasSize(100_000);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!queues.drained(local, remote) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(queues.drained(local, remote)).as("every byte read by the peer").isTrue();
        }
    }

    @Test
    void drained_connectionNotInTheTables_true() throws Exception {
        assertThat(queues.drained(new InetSocketAddress("127.0.0.1", 1), new InetSocketAddress("127.0.0.1", 2)))
                .isTrue();
    }
}
