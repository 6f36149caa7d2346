package dev.downloadservice.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder on loopback that delays every byte by the same time in each direction,
 * as a network path with that one-way latency would: a request and its answer cost two
 * delays, a round trip. It does not limit throughput: what arrives is read at once and
 * held in a delay line (unless the receiving side stops taking bytes), so the bytes in
 * flight are not capped by a small window as on a real path, only by what a direction
 * may hold: {@link #DEFAULT_MAX_HELD} (1.3 GB/s a connection at 50 ms), or less where a
 * bench wants a window, so that a receiver that stops reading soon stops the sender, as
 * TCP would. What is held is counted in whole reads of up to {@link #CHUNK_SIZE}, so the
 * same bound holds the memory of a direction. Bytes stay in direct buffers from socket to
 * socket, never copied by Java, so that the proxy costs as little CPU as a forwarder can.
 * Opening a connection costs no delay (the kernel completes the handshake); the bench's
 * clients keep their connections open.
 *
 * <pre>java -cp ... dev.downloadservice.testing.DelayProxy TARGET_PORT DELAY_MS [MAX_HELD_KIB]</pre>
 *
 * prints {@code port N} and forwards 127.0.0.1:N to 127.0.0.1:TARGET_PORT until killed.
 */
public final class DelayProxy implements AutoCloseable {

    static final int CHUNK_SIZE = 64 << 10;
    /** The most one direction of one connection holds before it stops reading (TCP then slows the sender). */
    static final long DEFAULT_MAX_HELD = 64 << 20;
    /** How long a direction waits with nothing due before it looks whether the other one closed the connection. */
    private static final long IDLE_WAIT_MILLIS = 1000;
    /** Two threads a connection: small stacks, so that a thousand connections fit. */
    private static final long STACK_SIZE = 256 << 10;

    private final ServerSocketChannel server;
    private final int targetPort;
    private final long delayNanos;
    /** Reads of up to {@link #CHUNK_SIZE} a direction holds at most. */
    private final long maxChunks;

    private DelayProxy(ServerSocketChannel server, int targetPort, Duration delay, long maxHeld) {
        this.server = server;
        this.targetPort = targetPort;
        this.delayNanos = delay.toNanos();
        this.maxChunks = Math.max(1, maxHeld / CHUNK_SIZE);
    }

    /** Forwards a new port on loopback to {@code targetPort} on loopback, each way {@code delay} late. */
    public static DelayProxy to(int targetPort, Duration delay) throws IOException {
        return to(targetPort, delay, DEFAULT_MAX_HELD);
    }

    /** The same, with each direction of a connection holding at most {@code maxHeld} bytes (at least one read). */
    public static DelayProxy to(int targetPort, Duration delay, long maxHeld) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        DelayProxy proxy = new DelayProxy(server, targetPort, delay, maxHeld);
        start(proxy::accept, "delay-proxy");
        return proxy;
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                forwardBothWays(server.accept());
            } catch (IOException e) {
                // The server closed: the proxy is done.
            }
        }
    }

    private void forwardBothWays(SocketChannel client) {
        try {
            SocketChannel upstream = SocketChannel.open(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
            for (SocketChannel channel : new SocketChannel[] {client, upstream}) {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.configureBlocking(false);
            }
            // Both channels close when both directions have ended.
            AtomicInteger openDirections = new AtomicInteger(2);
            start(() -> forward(client, upstream, openDirections), "delay-proxy-up");
            start(() -> forward(upstream, client, openDirections), "delay-proxy-down");
        } catch (IOException e) {
            closeQuietly(client); // the target refused: the client sees a close
        }
    }

    /**
     * One direction of one connection, on one thread: reads what arrives into the delay line
     * and writes out what is due, waiting no longer than until the next chunk is due.
     */
    private void forward(SocketChannel from, SocketChannel to, AtomicInteger openDirections) {
        Deque<Chunk> line = new ArrayDeque<>();
        Deque<ByteBuffer> free = new ArrayDeque<>();
        boolean ended = false;
        try (Selector selector = Selector.open()) {
            SelectionKey reading = from.register(selector, 0);
            SelectionKey writing = to.register(selector, 0);
            while (!ended || !line.isEmpty()) {
                boolean receiverFull = !sendDue(line, free, to);
                boolean mayRead = !ended && line.size() < maxChunks;
                reading.interestOps(mayRead ? SelectionKey.OP_READ : 0);
                writing.interestOps(receiverFull ? SelectionKey.OP_WRITE : 0);
                selector.selectedKeys().clear(); // a key's ready set is fresh only when this select picks it
                selector.select(receiverFull || line.isEmpty() ? IDLE_WAIT_MILLIS : millisUntil(line.peek().due));
                if (!from.isOpen() || !to.isOpen()) {
                    throw new IOException("closed by the other direction");
                }
                if (selector.selectedKeys().contains(reading) && reading.isReadable()) {
                    ByteBuffer buffer = free.isEmpty() ? ByteBuffer.allocateDirect(CHUNK_SIZE) : free.pop();
                    int n = from.read(buffer);
                    if (n > 0) {
                        line.add(new Chunk(buffer.flip(), System.nanoTime() + delayNanos));
                    } else {
                        ended = n < 0;
                        free.push(buffer);
                    }
                }
            }
            to.shutdownOutput(); // the peer sees the end, a delay after the sender's
        } catch (IOException | CancelledKeyException e) {
            // Reset, or the peer went away: drop the connection, as a network would.
            closeQuietly(from);
            closeQuietly(to);
        }
        if (openDirections.decrementAndGet() == 0) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Writes the chunks that are due; false if the receiver took less than that (its window is full). */
    private static boolean sendDue(Deque<Chunk> line, Deque<ByteBuffer> free, SocketChannel to) throws IOException {
        long now = System.nanoTime();
        while (!line.isEmpty() && line.peek().due - now <= 0) {
            ByteBuffer head = line.peek().bytes;
            to.write(head);
            if (head.hasRemaining()) {
                return false;
            }
            free.push(line.pop().bytes.clear());
        }
        return true;
    }

    /** At least 1: a select of 0 would wait for ever. */
    private static long millisUntil(long due) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(due - System.nanoTime() + 999_999));
    }

    /** Bytes read, ready to write, and when they are due at the other side. */
    private record Chunk(ByteBuffer bytes, long due) {
    }

    private static void start(Runnable task, String name) {
        Thread thread = new Thread(null, task, name, STACK_SIZE);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
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
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: DelayProxy TARGET_PORT DELAY_MS [MAX_HELD_KIB]");
            System.exit(2);
        }
        DelayProxy proxy = to(Integer.parseInt(args[0]), Duration.ofMillis(Long.parseLong(args[1])),
                args.length == 3 ? Long.parseLong(args[2]) << 10 : DEFAULT_MAX_HELD);
        System.out.println("port " + proxy.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
