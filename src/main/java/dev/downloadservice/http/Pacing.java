package dev.downloadservice.http;

import java.time.Duration;

/**
 * How a download is slowed, if at all: {@code --delay} pauses after each chunk (the old
 * service's throttling demo), {@code --rate-limit} gives each chunk its share of a second.
 * Both only set when the next chunk may go; nothing waits on a thread.
 *
 * @param delayNanos     pause after each chunk
 * @param bytesPerSecond most bytes per second; 0 for no limit
 */
record Pacing(long delayNanos, long bytesPerSecond) {

    /** Chunks of a paced download: small enough for a smooth rate, never more than 64 KiB. */
    private static final int MAX_CHUNK = 64 * 1024;
    private static final int MIN_CHUNK = 4 * 1024;

    static Pacing of(Duration delay, long bytesPerSecond) {
        return new Pacing(delay.toNanos(), bytesPerSecond);
    }

    /** Whether the bytes must go out in chunks the server times, rather than by sendfile. */
    boolean paced() {
        return delayNanos > 0 || bytesPerSecond > 0;
    }

    /** The chunk size for a paced download (about a quarter second's worth at the rate); 0 when not paced. */
    int chunkSize() {
        if (!paced()) {
            return 0;
        }
        return bytesPerSecond == 0 ? MAX_CHUNK : (int) Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, bytesPerSecond / 4));
    }

    /**
     * When the chunk after one of {@code size} bytes, written at {@code now}, may go. The
     * rate counts from the previous chunk's time, so that a client that paused does not
     * get a burst, and a server that was late does not fall behind forever.
     */
    long nextChunkNanos(long previousNanos, long now, long size) {
        long byRate = bytesPerSecond == 0 ? now : Math.max(previousNanos, now) + size * 1_000_000_000L / bytesPerSecond;
        return Math.max(now + delayNanos, byRate);
    }
}
