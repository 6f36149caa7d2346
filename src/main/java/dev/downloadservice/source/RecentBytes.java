package dev.downloadservice.source;

import java.util.concurrent.TimeUnit;

/**
 * How many bytes a consumer asked for in the last one to two seconds: this second's count
 * and the one before, rolled over as time passes. What tells a fast client from a slow one,
 * for the store's read-ahead and for the body's reads. Not thread-safe: its user's lock or
 * thread guards it.
 */
public final class RecentBytes {

    private static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);

    private long inAll;
    private long beforeLastSecond;
    private long beforeThisSecond;
    private long thisSecondNanos = System.nanoTime();

    public void add(long bytes) {
        roll(System.nanoTime());
        inAll += bytes;
    }

    public long lately() {
        roll(System.nanoTime());
        return inAll - beforeLastSecond;
    }

    /** Once a second is over, it becomes the last one; after a quiet second, none was asked for in it. */
    private void roll(long now) {
        if (now - thisSecondNanos >= SECOND_NANOS) {
            beforeLastSecond = now - thisSecondNanos >= 2 * SECOND_NANOS ? inAll : beforeThisSecond;
            beforeThisSecond = inAll;
            thisSecondNanos = now;
        }
    }
}
