package dev.downloadservice.source.s3;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The buffers an {@link ObjectStream} fills, in order, and the received bytes none took yet:
 * a piece that overshot them, or pieces read ahead. Not thread-safe: used under the
 * stream's lock, and a filled target is {@link #complete}d only after the lock is released.
 */
final class Targets {

    /** A buffer to fill, and who waits for it. */
    record Target(ByteBuffer buffer, CompletableFuture<Void> filled) {
    }

    private final ArrayDeque<Target> waiting = new ArrayDeque<>();
    /** Received bytes no target took yet, in order, each in the buffer it came in. */
    private final ArrayDeque<ByteBuffer> held = new ArrayDeque<>();
    private long heldBytes;

    /**
     * Queues a buffer; bytes held from earlier pieces go into it at once (a target they
     * fill goes to {@code done}).
     */
    void add(Target target, List<Target> done) {
        waiting.add(target);
        while (!held.isEmpty() && !waiting.isEmpty()) {
            ByteBuffer first = held.peek();
            heldBytes -= deliver(first, done);
            if (!first.hasRemaining()) {
                held.poll();
            }
        }
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    /** Whether every byte received was taken. */
    boolean allTaken() {
        return waiting.isEmpty() && held.isEmpty();
    }

    /** Bytes received that no target took yet. */
    long heldBytes() {
        return heldBytes;
    }

    /**
     * Copies a received piece into the waiting targets, in order (a target it fills goes to
     * {@code done}); what none takes is held as it is. The SDK's Netty client copies each
     * piece it read into a heap buffer of its own ({@code ResponseHandler.copyToByteBuffer})
     * and never touches it again, so holding it costs no second copy; a client that reused
     * its buffer would corrupt held bytes, which every archive read back in the tests (and
     * the CRC-32 its reader checks) would show.
     */
    void receive(ByteBuffer piece, List<Target> done) {
        deliver(piece, done);
        if (piece.hasRemaining()) {
            heldBytes += piece.remaining();
            held.add(piece);
        }
    }

    /** Copies from the piece into waiting targets; returns how many bytes it gave. */
    private int deliver(ByteBuffer piece, List<Target> done) {
        int given = 0;
        while (piece.hasRemaining() && !waiting.isEmpty()) {
            Target target = waiting.peek();
            int n = Math.min(piece.remaining(), target.buffer().remaining());
            ByteBuffer part = piece.duplicate();
            part.limit(part.position() + n);
            target.buffer().put(part);
            piece.position(piece.position() + n);
            given += n;
            if (!target.buffer().hasRemaining()) {
                done.add(waiting.poll());
            }
        }
        return given;
    }

    /** Adds the bytes held, in order, to the sum. */
    void sumHeld(StreamSum sum) {
        for (ByteBuffer piece : held) {
            sum.add(piece);
        }
    }

    /** The waiting targets, taken; what was held is dropped: the stream is over for good. */
    List<Target> takeAll() {
        List<Target> all = new ArrayList<>(waiting);
        waiting.clear();
        held.clear();
        heldBytes = 0;
        return all;
    }

    /** Whoever waits on a target may go on at once (read on, even here): never under the stream's lock. */
    static void complete(List<Target> targets, Throwable error) {
        for (Target target : targets) {
            if (error == null) {
                target.filled().complete(null);
            } else {
                target.filled().completeExceptionally(error);
            }
        }
    }
}
