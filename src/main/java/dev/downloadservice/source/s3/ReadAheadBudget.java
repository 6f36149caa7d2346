package dev.downloadservice.source.s3;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every download's {@link ReadAhead} holds together: one byte budget for the process,
 * so that many fast downloads at once cannot hold more than it, and the counts the metrics
 * show. Thread-safe; one per source.
 */
final class ReadAheadBudget {

    private final long limit;
    private final AtomicLong held = new AtomicLong();
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
        return held.get() < limit;
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

    int getsInFlight() {
        return getsInFlight.get();
    }

    long partsWaitedOn() {
        return partsWaitedOn.sum();
    }
}
