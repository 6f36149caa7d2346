package dev.downloadservice.source.s3;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every download's {@link ReadAhead} holds together: one byte budget for the process,
 * so that many fast downloads at once cannot hold more than it, and the counts the metrics
 * show. Bytes held ahead are counted as they arrive, and a window asks for more only while
 * the total is under the budget, so it may overshoot by what is in flight. An object held
 * whole for its CRC-32 cannot stop halfway, so its bytes are reserved before its first one
 * is asked for ({@link #reserve}), and never past the budget. Thread-safe; one per source.
 */
final class ReadAheadBudget {

    private final long limit;
    private final AtomicLong held = new AtomicLong();
    /** Bytes of objects held whole that are reserved and not received yet. */
    private final AtomicLong reserved = new AtomicLong();
    private final AtomicInteger getsInFlight = new AtomicInteger();
    private final LongAdder partsWaitedOn = new LongAdder();

    /** @param limit most bytes held ahead of their clients by all downloads together */
    ReadAheadBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("expected a read-ahead budget above 0 bytes, found " + limit);
        }
        this.limit = limit;
    }

    /** Whether downloads together hold less than the budget: a window may ask for more. */
    boolean hasRoom() {
        return held.get() + reserved.get() < limit;
    }

    /** Reserves the bytes if held, reserved and they fit the budget; false, reserving nothing, if not. */
    boolean reserve(long bytes) {
        while (true) {
            long before = reserved.get();
            if (held.get() + before + bytes > limit) {
                return false;
            }
            if (reserved.compareAndSet(before, before + bytes)) {
                return true;
            }
        }
    }

    /** Reserved bytes that arrived (and are now held) or never will. */
    void unreserve(long bytes) {
        reserved.addAndGet(-bytes);
    }

    void held(long change) {
        held.addAndGet(change);
    }

    void getStarted() {
        getsInFlight.incrementAndGet();
    }

    void getEnded() {
        getsInFlight.decrementAndGet();
    }

    void waitedOn() {
        partsWaitedOn.increment();
    }

    long heldBytes() {
        return held.get();
    }

    long reservedBytes() {
        return reserved.get();
    }

    int getsInFlight() {
        return getsInFlight.get();
    }

    long partsWaitedOn() {
        return partsWaitedOn.sum();
    }
}
