package dev.downloadservice.source;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The reads of one download: file bytes into buffers the caller owns. Each read fails
 * with {@link FileChangedException} (possibly wrapped) when a file is no longer the
 * listed version. Closing it ends reads under way and frees what they hold.
 */
public interface Reads extends AutoCloseable {

    /** Bytes of a file from a position, exactly as many as the target has room for. */
    record Read(SourceFile file, long position, ByteBuffer target) {
    }

    /**
     * Fills every target. Completes only once every read has ended, successful or not,
     * so that the caller may free the targets as soon as it completes.
     */
    CompletableFuture<Void> read(List<Read> reads);

    /**
     * One piece of a large body. Calls for one body come in order, each starting where the
     * last ended, and may be made before the last completed: a store can then stream the
     * body {@code [position, end)} from one request, as fast as the pieces are asked for.
     * Completes, like {@link #read}, once the read has ended.
     */
    CompletableFuture<Void> readInOrder(SourceFile file, long position, long end, ByteBuffer target);

    /** Bytes {@code [from, end)} of a large body, to be read by {@link #readInOrder}. */
    record Span(SourceFile file, long from, long end) {
    }

    /**
     * Tells, before the first {@link #readInOrder}, every span this download will read by it,
     * in order: a store can then fetch the next ones while one is sent. A source that gains
     * nothing from knowing ignores it.
     */
    default void planInOrder(List<Span> spans) {
    }

    /**
     * The CRC-32 of a body this download will read whole by {@link #readInOrder} (a span of the
     * plan from byte 0 to its size), computed from those very bytes, where the source can hold
     * them until the entry's header, which needs the CRC first, is sent: a store that keeps no
     * checksum of an object then sends it once, not once for the CRC and again for the body.
     * Empty where it cannot, or not now (too large, too far ahead, over its memory budget):
     * asked again later, or the CRC comes from the {@link ChecksumCache}.
     */
    default Optional<CompletableFuture<Integer>> crc32OfWholeBody(SourceFile file) {
        return Optional.empty();
    }

    /** Whether {@link #crc32OfWholeBody} may ever give a CRC: if not, there is no point in waiting for it. */
    default boolean holdsWholeBodies() {
        return false;
    }

    /** Sending bytes unseen, by {@code sendfile}, where this source's files allow it; else empty. */
    Optional<ZeroCopy> zeroCopy();

    @Override
    void close();
}
