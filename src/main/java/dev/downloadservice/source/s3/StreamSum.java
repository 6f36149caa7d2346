package dev.downloadservice.source.s3;

import dev.downloadservice.source.EntryNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.zip.CRC32;

/**
 * The CRC-32 of an {@link ObjectStream}'s bytes, summed in order as they arrive, for an
 * object held whole ({@link ReadAhead#crc32}); and, where the store keeps a CRC-32 of the
 * object, the check of the bytes against it. Not thread-safe: used under the stream's lock.
 */
final class StreamSum {

    private final String location;
    private final CRC32 sum = new CRC32();
    private final CompletableFuture<Integer> result = new CompletableFuture<>();
    /** The CRC-32 the store keeps for the object, which the bytes must sum to; null if none is known. */
    private Integer expected;
    private boolean settled;

    StreamSum(String location) {
        this.location = location;
    }

    /** Completes with the sum once every byte is in, or fails with the stream; on the executor given to {@link #settle}. */
    CompletableFuture<Integer> result() {
        return result;
    }

    void add(ByteBuffer piece) {
        sum.update(piece.duplicate());
    }

    /** The CRC-32 the store keeps: once every byte is in, {@link #mismatch} compares them. */
    void expect(int crc) {
        expected = crc;
    }

    /** The bytes of an object do not match the CRC-32 the store keeps of it. */
    static final class NotMatching extends IOException {
        NotMatching(String message) {
            super(message);
        }
    }

    /** With every byte in, why they do not match the store's CRC-32; null if they do, or none is known. */
    NotMatching mismatch() {
        if (expected == null || (int) sum.getValue() == expected) {
            return null;
        }
        return new NotMatching("expected the bytes of " + EntryNames.printable(location)
                + " to have the CRC-32 the store keeps, "
                + Integer.toHexString(expected) + ", found " + Long.toHexString(sum.getValue()));
    }

    /**
     * Completes the result once, with the sum if {@code error} is null: on the executor, since
     * whoever waits for it may read on at once, and must not under the stream's lock.
     */
    void settle(Throwable error, Executor executor) {
        if (settled) {
            return;
        }
        settled = true;
        int value = (int) sum.getValue();
        try {
            executor.execute(() -> {
                if (error == null) {
                    result.complete(value);
                } else {
                    result.completeExceptionally(error);
                }
            });
        } catch (RejectedExecutionException stopping) {
            result.completeExceptionally(new IOException("the service is stopping", stopping));
        }
    }
}
