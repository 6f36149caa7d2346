package dev.downloadservice.http;

import dev.downloadservice.source.FilePart;
import dev.downloadservice.source.ZeroCopy;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The files one download sent unseen, by sendfile, and what its last bytes wait for. A byte
 * sent that way is a reference to the file's page until the peer has it: not yet acknowledged
 * (it may be sent again), or, on loopback, acknowledged but not yet read from the peer's
 * receive queue. A write to the file in that time reaches the client, and a check of the file
 * made before proves nothing. So the part that completes the response goes out only once the
 * peer has every byte before it ({@link SocketQueues}) and then every file sent unseen is
 * checked again: a change before that moment aborts the download, one after it cannot reach
 * the client. Used on the connection's event loop.
 */
final class UnseenBytes {

    /** The first wait between two looks at the socket queues; it doubles up to the longest. */
    private static final long FIRST_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long LONGEST_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * What lets downloads send unseen: the socket tables to wait on, and where they are read
     * (a read of a file, however small, is not for an event loop).
     */
    record Gate(SocketQueues queues, Executor io) {
        /** @param zeroCopy the download's way of sending unseen, which also checks what it sent */
        UnseenBytes forDownload(ZeroCopy zeroCopy) {
            return new UnseenBytes(this, zeroCopy);
        }
    }

    private final Gate gate;
    private final ZeroCopy zeroCopy;
    private final List<FilePart> sent = new ArrayList<>();

    private UnseenBytes(Gate gate, ZeroCopy zeroCopy) {
        this.gate = gate;
        this.zeroCopy = zeroCopy;
    }

    /** How to send unseen: the source's, for this download. */
    ZeroCopy zeroCopy() {
        return zeroCopy;
    }

    /** A part of a file handed to the kernel to send. */
    void sent(FilePart part) {
        sent.add(part);
    }

    /** Whether the download sent anything unseen, so that its last bytes must wait. */
    boolean any() {
        return !sent.isEmpty();
    }

    /**
     * Completes once the peer has every byte written to the channel and every file sent unseen
     * is still the listed version; fails with a {@code FileChangedException} (possibly wrapped)
     * if one is not. Call it once every write before has completed.
     */
    CompletableFuture<Void> settle(Channel channel) {
        CompletableFuture<Void> drained = new CompletableFuture<>();
        look(channel, FIRST_WAIT_NANOS, drained);
        return drained.thenCompose(ignored -> zeroCopy.checkUnchanged(List.copyOf(sent)));
    }

    private void look(Channel channel, long waitNanos, CompletableFuture<Void> drained) {
        InetSocketAddress local = (InetSocketAddress) channel.localAddress();
        InetSocketAddress remote = (InetSocketAddress) channel.remoteAddress();
        if (local == null || remote == null || !channel.isActive()) {
            drained.complete(null); // closed: the download ends with its channel, nothing more can be sent
            return;
        }
        CompletableFuture.supplyAsync(() -> gate.queues().drained(local, remote), gate.io()).whenComplete((done, error) -> {
            if (error != null) {
                drained.completeExceptionally(error);
            } else if (done) {
                drained.complete(null);
            } else {
                channel.eventLoop().schedule(() -> look(channel, Math.min(2 * waitNanos, LONGEST_WAIT_NANOS), drained),
                        waitNanos, TimeUnit.NANOSECONDS);
            }
        });
    }
}
