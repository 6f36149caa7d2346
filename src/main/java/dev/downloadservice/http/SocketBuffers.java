package dev.downloadservice.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The most a connection's kernel buffers can hold: our socket's write queue (sent, not yet
 * acknowledged, or not yet sent) and a local peer's receive queue (acknowledged, not yet read),
 * both at their largest, as the host's limits allow them ({@code /proc/sys/net}).
 *
 * <p>Why it matters: a byte sent by {@code sendfile} is a reference to the file's page until it
 * leaves both queues; on loopback even an acknowledged byte is (tried, docs/design-notes.md). So
 * the bytes at the end of a response that these buffers could still hold go through memory, and
 * once they are written no byte sent by {@code sendfile} can be in either queue.
 */
final class SocketBuffers {

    private SocketBuffers() {
    }

    /**
     * The bytes at the end of a response that must not be sent by {@code sendfile}: the largest
     * write queue plus the largest receive queue, plus the part held back to the last; empty
     * where the limits cannot be read (then nothing goes out by {@code sendfile}).
     *
     * @param heldBack the most bytes of the last part, which is written only after the check
     */
    static OptionalLong unseenTail(long heldBack) {
        try {
            long writeQueue = Math.max(third("ipv4/tcp_wmem"), 2 * single("core/wmem_max"));
            long receiveQueue = Math.max(third("ipv4/tcp_rmem"), 2 * single("core/rmem_max"));
            return OptionalLong.of(writeQueue + receiveQueue + heldBack);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** The maximum of a "min default max" triple such as tcp_wmem. */
    private static long third(String name) throws IOException {
        String[] values = read(name).split("\\s+");
        return Long.parseLong(values[2]);
    }

    private static long single(String name) throws IOException {
        return Long.parseLong(read(name));
    }

    private static String read(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/sys/net", name)).get(0).strip(); // procfs: readString may stop short
    }
}
