package dev.downloadservice.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether every byte written to a connection has left the page cache's reach: the peer has
 * acknowledged it (our send queue is empty) and, when the peer is a process on this host
 * (nginx in front, on loopback), that process has read it (its receive queue is empty).
 *
 * <p>Until then a byte sent by {@code sendfile} is still a reference to the file's page: a
 * byte not yet acknowledged may be sent again, and on loopback an acknowledged byte waits in
 * the peer's receive queue as that same reference, so a write to the file reaches the reader
 * (tried, see docs/design-notes.md). Read from {@code /proc/net/tcp} and {@code tcp6}, as
 * {@code ss} reads them; a peer in another network namespace is not seen there and counts
 * as remote.
 */
final class SocketQueues {

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
    /** An IPv4 address as IPv6 shows it: ::ffff:a.b.c.d. */
    private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF};

    private SocketQueues() {
    }

    /** The tables where this machine has them (Linux); else empty, and nothing may go out unseen. */
    static Optional<SocketQueues> find() {
        return TABLES.stream().allMatch(Files::isReadable) ? Optional.of(new SocketQueues()) : Optional.empty();
    }

    /**
     * Whether the connection from {@code local} to {@code remote} has nothing left in its send
     * queue, nor, if its peer is on this host, in the peer's receive queue. Reads the tables:
     * blocking, for the I/O pool. A connection not in the tables (closed) counts as drained: its
     * writes fail anyway.
     */
    boolean drained(InetSocketAddress local, InetSocketAddress remote) {
        List<String> ours = encodings(local);
        List<String> theirs = encodings(remote);
        for (Path table : TABLES) {
            try (Stream<String> lines = Files.lines(table)) {
                boolean busy = lines.skip(1).anyMatch(line -> holdsBytes(line.trim().split("\\s+"), ours, theirs));
                if (busy) {
                    return false;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return true;
    }

    /**
     * Whether a table row is our socket with bytes not yet acknowledged, or the peer's socket
     * with bytes not yet read. Columns: sl, local, remote, state, tx_queue:rx_queue, ...
     */
    private static boolean holdsBytes(String[] row, List<String> ours, List<String> theirs) {
        if (row.length < 5) {
            return false;
        }
        String[] queues = row[4].split(":");
        if (ours.contains(row[1]) && theirs.contains(row[2])) {
            return Long.parseLong(queues[0], 16) != 0; // tx_queue: written, not yet acknowledged
        }
        if (theirs.contains(row[1]) && ours.contains(row[2])) {
            return Long.parseLong(queues[1], 16) != 0; // rx_queue: received, not yet read
        }
        return false;
    }

    /** How the tables write an address: each 32-bit word of it in the host's byte order, then the port. */
    private static List<String> encodings(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String port = String.format(Locale.ROOT, ":%04X", address.getPort());
        if (ip instanceof Inet4Address) {
            byte[] mapped = new byte[16];
            System.arraycopy(V4_MAPPED_PREFIX, 0, mapped, 0, V4_MAPPED_PREFIX.length);
            System.arraycopy(ip.getAddress(), 0, mapped, 12, 4);
            return List.of(words(ip.getAddress()) + port, words(mapped) + port); // tcp, or tcp6 of a dual-stack socket
        }
        return List.of(words(ip.getAddress()) + port);
    }

    private static String words(byte[] address) {
        boolean reversed = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        StringBuilder hex = new StringBuilder(address.length * 2);
        for (int word = 0; word < address.length; word += 4) {
            for (int i = 0; i < 4; i++) {
                hex.append(String.format(Locale.ROOT, "%02X", address[word + (reversed ? 3 - i : i)]));
            }
        }
        return hex.toString();
    }
}
