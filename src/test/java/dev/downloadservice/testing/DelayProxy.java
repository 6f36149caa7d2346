package dev.downloadservice.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP forwarder on loopback that delays every byte by the same time in each direction,
 * as a network path with that one-way latency would: a request and its answer cost two
 * delays, a round trip. It does not limit throughput: what arrives is read at once and
 * held in a delay line, so the bytes in flight are not capped by a window as on a real
 * path, only by {@link #MAX_HELD_PER_DIRECTION} (enough for several GB/s at 50 ms).
 * Opening a connection costs no delay (the kernel completes the handshake); the bench's
 * clients keep their connections open.
 *
 * <pre>java -cp ... dev.downloadservice.testing.DelayProxy TARGET_PORT DELAY_MS</pre>
 *
 * prints {@code port N} and forwards 127.0.0.1:N to 127.0.0.1:TARGET_PORT until killed.
 */
public final class DelayProxy implements AutoCloseable {

    /** The most one direction of one connection holds before it stops reading (TCP then slows the sender). */
    static final int MAX_HELD_PER_DIRECTION = 64 << 20;
    private static final int READ_SIZE = 256 << 10;
    /** Four threads a connection: small stacks, so that a thousand connections fit. */
    private static final long STACK_SIZE = 256 << 10;

    private final ServerSocket server;
    private final int targetPort;
    private final long delayNanos;

    private DelayProxy(ServerSocket server, int targetPort, Duration delay) {
        this.server = server;
        this.targetPort = targetPort;
        this.delayNanos = delay.toNanos();
    }

    /** Forwards a new port on loopback to {@code targetPort} on loopback, each way {@code delay} late. */
    public static DelayProxy to(int targetPort, Duration delay) throws IOException {
        ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        DelayProxy proxy = new DelayProxy(server, targetPort, delay);
        start(proxy::accept, "delay-proxy");
        return proxy;
    }

    public int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                // Both sockets close when both directions have ended.
                AtomicInteger openDirections = new AtomicInteger(2);
                new Direction(client, upstream, openDirections).start();
                new Direction(upstream, client, openDirections).start();
            } catch (IOException e) {
                // The server socket closed (the proxy is done), or the target refused: the client sees a close.
            }
        }
    }

    /** One direction of one connection: a reader that stamps what it reads, a writer that sends it when due. */
    private final class Direction {
        private final Socket from;
        private final Socket to;
        private final AtomicInteger openDirections;
        private final BlockingQueue<Chunk> line = new LinkedBlockingQueue<>();
        private final Semaphore room = new Semaphore(MAX_HELD_PER_DIRECTION);

        Direction(Socket from, Socket to, AtomicInteger openDirections) {
            this.from = from;
            this.to = to;
            this.openDirections = openDirections;
        }

        void start() {
            DelayProxy.start(this::read, "delay-proxy-read");
            DelayProxy.start(this::write, "delay-proxy-write");
        }

        private void read() {
            byte[] buffer = new byte[READ_SIZE];
            try {
                InputStream in = from.getInputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    room.acquire(n);
                    line.add(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime() + delayNanos));
                }
            } catch (IOException | InterruptedException e) {
                // Reset, or closed by the writer of the other direction: end this one too.
            }
            line.add(Chunk.END);
        }

        /** Sends each chunk when due; after a failed write, keeps taking chunks (freeing room) until the end. */
        private void write() {
            boolean broken = false;
            try {
                OutputStream out = to.getOutputStream();
                for (Chunk chunk; (chunk = line.take()) != Chunk.END; ) {
                    for (long wait; (wait = chunk.due - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(wait);
                    }
                    if (!broken) {
                        try {
                            out.write(chunk.bytes);
                        } catch (IOException e) {
                            broken = true;
                            closeQuietly(from); // the reader then stops
                        }
                    }
                    room.release(chunk.bytes.length);
                }
                to.shutdownOutput(); // the peer sees the end, a delay after the sender's
            } catch (IOException | InterruptedException e) {
                // Already closed.
            }
            if (openDirections.decrementAndGet() == 0) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }
    }

    /** Bytes read, and when they are due at the other side. */
    private record Chunk(byte[] bytes, long due) {
        /** Ends a direction: the sender closed its side, or its connection failed. */
        static final Chunk END = new Chunk(new byte[0], 0);
    }

    private static void start(Runnable task, String name) {
        Thread thread = new Thread(null, task, name, STACK_SIZE);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closed.
        }
    }

    /** Stops accepting; connections already open run on until their peers close them. */
    @Override
    public void close() throws IOException {
        server.close();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: DelayProxy TARGET_PORT DELAY_MS");
            System.exit(2);
        }
        DelayProxy proxy = to(Integer.parseInt(args[0]), Duration.ofMillis(Long.parseLong(args[1])));
        System.out.println("port " + proxy.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
