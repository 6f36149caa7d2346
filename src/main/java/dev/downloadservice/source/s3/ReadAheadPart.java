package dev.downloadservice.source.s3;

import dev.downloadservice.source.SourceFile;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A part of a span in a download's {@link ReadAhead} window, read by one stream. The window
 * reads and writes its fields under its own lock; {@code asked} is where the consumer's next
 * read of it starts. It is its stream's {@link Lead}: the window's, unless the part is held
 * whole, when it receives every byte and reserves in the budget those still to come.
 */
final class ReadAheadPart implements Lead {
    final SourceFile file;
    final long from;
    final long to;
    /** Whether a wait on it shows the lead too short: it was opened for the lead, not at the start or on demand. */
    final boolean openedAhead;
    final ObjectStream stream;
    long asked;
    boolean waitedOn;
    /** Bytes still reserved in the budget for a part held whole; written under the window's lock, read under the stream's. */
    private final AtomicLong reserved = new AtomicLong();
    private final ReadAheadBudget budget;
    /** The window's lead, which the part's is unless it is held whole. */
    private final Lead window;
    private volatile boolean heldWhole;

    ReadAheadPart(ObjectStore store, ReadAheadBudget budget, Lead window, SourceFile file, long from, long to,
         boolean openedAhead, boolean startNow) {
        this.budget = budget;
        this.window = window;
        this.file = file;
        this.from = from;
        this.asked = from;
        this.to = to;
        this.openedAhead = openedAhead;
        this.stream = new ObjectStream(store, file, from, to, this, startNow);
    }

    /** Under the window's lock: whether it is a whole object none of whose bytes the consumer asked for. */
    boolean mayBeHeldWhole() {
        return !heldWhole && from == 0 && to == file.size() && asked == 0;
    }

    /**
     * Under the window's lock: its stream receives every byte from now on and sums them, if
     * the budget has room for the bytes still to come (what it holds is counted already);
     * null if not. Under the stream's lock too, since the stream calls the {@link Lead}
     * methods under it: none runs between the count and the reservation.
     */
    CompletableFuture<Integer> holdWhole() {
        synchronized (stream) {
            long toCome = stream.bytesToCome();
            if (!budget.reserve(toCome)) {
                return null;
            }
            reserved.set(toCome);
            heldWhole = true;
            return stream.crc32();
        }
    }

    boolean isHeldWhole() {
        return heldWhole;
    }

    @Override
    public boolean mayHoldMore() {
        return heldWhole || window.mayHoldMore();
    }

    @Override
    public void held(long change) {
        window.held(change);
        if (change > 0) {
            release(change); // what arrived is held now, no longer reserved
        }
    }

    @Override
    public void getEnded() {
        window.getEnded();
        release(Long.MAX_VALUE); // what was reserved and never came
    }

    private void release(long atMost) {
        long before;
        long released;
        do {
            before = reserved.get();
            released = Math.min(before, atMost);
        } while (released > 0 && !reserved.compareAndSet(before, before - released));
        if (released > 0) {
            budget.unreserve(released);
        }
    }
}
