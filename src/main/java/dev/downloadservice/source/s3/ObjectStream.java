package dev.downloadservice.source.s3;

import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.s3.Targets.Target;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.ResponsePublisher;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Bytes {@code [from, end)} of one object, from one ranged GET, into the targets given
 * in order. It asks the store for the next piece only while a target waits to be filled
 * or its {@link Lead} lets it hold one more, so a client that stops reading stops the
 * object's transfer too (TCP's flow control reaches the store): a slow visitor costs the
 * few targets queued and what the lead allows, never the object.
 *
 * <p>If the stream breaks (the store closed a connection left idle by a slow visitor, a
 * network error) or stalls (no byte for the store's timeout while one is asked for), it
 * is opened again from the first byte not yet received, with the same {@code If-Match},
 * a few times in a row at most, and only once a target waits for those bytes. A GET that
 * asked for nothing for {@link #PARK_AFTER_NANOS} (it holds what its lead allows, and its
 * client is slow) is <em>parked</em>: let go, and opened again in the same way once more
 * bytes are wanted. A thousand slow downloads then hold no thousand connections of the
 * store's pool (256), nor the buffers in which the SDK keeps what each connection read
 * ahead of its subscriber (about 800 KiB each, measured: they ran direct memory out).
 *
 * <p>Locking: state changes under this object's lock; calls into the SDK
 * ({@code request}, {@code cancel}) and completions of targets are made after it is
 * released, since either may run other code at once on this thread.
 */
final class ObjectStream {

    private static final Logger log = LoggerFactory.getLogger(ObjectStream.class);

    /** Opens in a row without a byte received in between, before the read fails. */
    static final int MAX_OPENS_WITHOUT_PROGRESS = 3;
    /**
     * How long a GET may go without asking for a piece before it is parked: a client that
     * takes its lead (64 KiB at least) in less is fast enough to keep its connection, one
     * of 10 kB/s pays a GET for every 64 KiB it takes, one every six seconds.
     */
    static final long PARK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final ObjectStore store;
    private final SourceFile file;
    private final long from;
    private final long end;
    private final Lead lead;
    private final Targets targets = new Targets();

    /** The next byte the store will send: received bytes are [.., received). */
    private long received;
    /** Where the next target given starts. */
    private long queuedUpTo;
    /** The GET now under way; null while a broken stream waits for a target to open it again. */
    private Attempt attempt;
    private int opensWithoutProgress;
    private boolean closed;
    private Throwable failure;
    /** Whether the GET was let go ({@link #start}): a stream made to wait opens no GET until then. */
    private boolean started;
    /** Whether the lead was told that the GET is over. */
    private boolean getEnded;
    /** The CRC-32 of every byte, as they arrive, once asked for ({@link #crc32}); null until then. */
    private StreamSum sum;

    /** A stream that reads only what its targets wait for, its GET opened now. */
    ObjectStream(ObjectStore store, SourceFile file, long from, long end) {
        this(store, file, from, end, Lead.NONE, /* startNow= */ true);
    }

    /**
     * Opens the GET on the store's request executor (signing and sending stay off the
     * caller's thread), now or once {@link #start}ed; targets given before wait for it.
     */
    ObjectStream(ObjectStore store, SourceFile file, long from, long end, Lead lead, boolean startNow) {
        this.store = store;
        this.file = file;
        this.lead = lead;
        this.from = from;
        this.received = from;
        this.queuedUpTo = from;
        this.end = end;
        if (startNow) {
            start();
        }
    }

    /** Lets the GET go. */
    void start() {
        Attempt first = null;
        synchronized (this) {
            if (started) {
                return;
            }
            started = true;
            if (closed || failure != null) {
                endGet(); // closed while it waited: the GET it was counted for is over
            } else {
                first = newAttempt(); // asked now, so that its first byte is on its way before it is wanted
            }
        }
        if (first != null) {
            Attempt sent = first;
            store.requests().execute(() -> send(sent));
        }
    }

    /** Whether nothing more will come of it: every byte was received and taken, or it failed or was closed. */
    synchronized boolean isOver() {
        return closed || failure != null || (received == end && targets.allTaken());
    }

    /** Bytes the store has still to send: none once the GET is over. */
    synchronized long bytesToCome() {
        return getEnded || closed || failure != null ? 0 : end - received;
    }

    /**
     * The CRC-32 of the stream's bytes, for a stream that gave none to a target yet: what it
     * holds is summed now, the rest as it arrives. Completes on the store's request executor
     * once every byte is in, or fails as the stream fails or is closed.
     */
    CompletableFuture<Integer> crc32() {
        synchronized (this) {
            if (queuedUpTo != from || sum != null) {
                throw new IllegalStateException("expected a stream that gave no byte yet, found one at " + queuedUpTo
                        + " of [" + from + ", " + end + ")");
            }
            sum = new StreamSum(file.location());
            targets.sumHeld(sum);
            if (received == end || closed || failure != null) {
                settleSum();
            }
            return sum.result();
        }
    }

    /**
     * The CRC-32 the store keeps for the object, for a stream whose bytes are summed: bytes
     * that sum to another fail the stream before its last byte is given, so the archive never
     * looks whole. Returns the CRC-32 to send, or fails if every byte came and did not match.
     */
    CompletableFuture<Integer> expectCrc32(int expected) {
        List<Target> waiting = List.of();
        IOException error = null;
        synchronized (this) {
            if (sum == null) {
                throw new IllegalStateException("expected a stream whose CRC-32 is summed");
            }
            sum.expect(expected);
            if (received == end && failure == null && !closed) {
                error = sum.mismatch(); // every byte came before the store's CRC-32 did
                if (error != null) {
                    store.failed(error);
                    waiting = failUnderLock(error);
                }
            }
        }
        Targets.complete(waiting, error);
        return error == null ? CompletableFuture.completedFuture(expected) : CompletableFuture.failedFuture(error);
    }

    /** Fills the target with the next bytes; completes when it is full or the stream failed. */
    CompletableFuture<Void> fill(ByteBuffer target) {
        CompletableFuture<Void> filled = new CompletableFuture<>();
        List<Target> done = new ArrayList<>();
        Throwable error = null;
        Subscription request = null;
        Attempt reopen = null;
        synchronized (this) {
            if (failure != null || closed) {
                error = failure != null ? failure : new IOException("the download was closed");
            } else {
                if (queuedUpTo + target.remaining() > end) {
                    throw new IllegalArgumentException("expected a read within [" + queuedUpTo + ", " + end
                            + "), found one of " + target.remaining() + " bytes");
                }
                queuedUpTo += target.remaining();
                long heldBefore = targets.heldBytes();
                targets.add(new Target(target, filled), done);
                heldChanged(heldBefore);
                if (attempt == null && started && wantsBytes()) {
                    reopen = newAttempt(); // it broke while no one waited: open it again now that someone does
                } else if (attempt != null) {
                    request = demand(attempt);
                }
            }
        }
        if (error != null) {
            filled.completeExceptionally(error);
        }
        Targets.complete(done, null);
        if (request != null) {
            request.request(1);
        }
        if (reopen != null) {
            send(reopen);
        }
        return filled;
    }

    /**
     * Asks the store for the next piece if the lead now lets the stream hold one more (the
     * window moved on, or freed bytes), opening the GET again if it broke meanwhile.
     */
    void readAhead() {
        Subscription request = null;
        Attempt reopen = null;
        synchronized (this) {
            if (!started || closed || failure != null || received == end || !lead.mayHoldMore()) {
                return;
            }
            if (attempt == null) {
                reopen = newAttempt();
            } else {
                request = demand(attempt);
            }
        }
        if (request != null) {
            request.request(1);
        }
        if (reopen != null) {
            send(reopen);
        }
    }

    /**
     * Ends the stream: waiting targets fail and the store's connection is let go; a
     * response read to its last byte is left to end by itself, so that its connection
     * goes back to the pool instead of being closed.
     */
    void close() {
        List<Target> waiting;
        Subscription cancel = null;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (attempt != null && received < end) {
                cancel = attempt.cancel();
            }
            waiting = takeAll();
            if (received < end || attempt == null) {
                store.unwatch(this);
            }
            endGet();
        }
        if (cancel != null) {
            cancel.cancel();
        }
        Targets.complete(waiting, new IOException("the download was closed"));
    }

    /**
     * Called now and then by the store's watchdog: a GET that got no byte for the timeout
     * while one was asked for is given up, as if it broke (a hung connection sends no error);
     * one that asked for none for {@link #PARK_AFTER_NANOS} is parked.
     */
    void checkStalled(long nowNanos, long timeoutNanos) {
        Attempt stalled;
        Subscription cancel = null;
        synchronized (this) {
            if (attempt != null && received < end && attempt.pausedFor(nowNanos, PARK_AFTER_NANOS)) {
                cancel = park();
            }
            stalled = attempt != null && attempt.stalled(nowNanos, timeoutNanos) ? attempt : null;
            if (stalled != null) {
                cancel = stalled.cancel();
            }
        }
        if (stalled != null) {
            if (cancel != null) {
                cancel.cancel();
            }
            broken(stalled, new TimeoutException("expected a byte of " + EntryNames.printable(file.location())
                    + " from the store, found none for " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s"),
                    /* counted= */ false);
        }
    }

    /**
     * Under the lock: lets the paused GET go, to be opened again where it stopped once bytes
     * are wanted ({@link #fill}, {@link #readAhead}); returns the subscription to cancel.
     */
    private Subscription park() {
        Subscription cancel = attempt.cancel();
        attempt = null;
        store.unwatch(this);
        store.parked();
        return cancel;
    }

    /** A new attempt from the first byte not yet received; under the lock. */
    private Attempt newAttempt() {
        attempt = new Attempt(this, received);
        store.watch(this);
        return attempt;
    }

    /** Sends the attempt's GET, unless the stream was closed meanwhile; outside the lock. */
    private void send(Attempt next) {
        synchronized (this) {
            if (next.isCancelled() || next != attempt) {
                return;
            }
        }
        CompletableFuture<ResponsePublisher<GetObjectResponse>> response;
        try {
            response = store.get(file, next.from, end);
        } catch (RuntimeException e) { // the SDK reports failures in the future, but a bug must not hang a read
            response = CompletableFuture.failedFuture(e);
        }
        response.whenComplete((publisher, error) -> {
            if (error != null) {
                broken(next, error, /* counted= */ true); // the store counted the failed request
            } else if (!startsAt(publisher, next.from)) {
                publisher.subscribe(new CancelAtOnce());
                failWith(next, new IOException("expected the store to send "
                        + EntryNames.printable(file.location()) + " from byte "
                        + next.from + ", found Content-Range " + publisher.response().contentRange()));
            } else {
                publisher.subscribe(next);
            }
        });
    }

    /** Whether the response holds the range asked for: a store or proxy that ignored Range sends byte 0 first. */
    private static boolean startsAt(ResponsePublisher<GetObjectResponse> publisher, long from) {
        String range = publisher.response().contentRange();
        return range != null && range.startsWith("bytes " + from + "-");
    }

    /** The attempt's response body began: it counts only if it is still the current attempt. */
    void subscribed(Attempt which, Subscription s) {
        boolean accepted;
        Subscription request = null;
        synchronized (this) {
            accepted = !which.isCancelled() && attempt == which;
            if (accepted) {
                which.subscription(s);
                request = demand(which);
            }
        }
        if (!accepted) {
            s.cancel();
        } else if (request != null) {
            request.request(1);
        }
    }

    /** A piece of the attempt's body: into the waiting targets, then the next piece if one is wanted. */
    void received(Attempt which, ByteBuffer piece) {
        List<Target> done = new ArrayList<>();
        Throwable error = null;
        Subscription next;
        synchronized (this) {
            which.answered();
            if (attempt != which || failure != null || closed && received < end) {
                return;
            }
            int bytes = piece.remaining();
            if (received + bytes > end) {
                error = new IOException("expected at most " + (end - received) + " more bytes of "
                        + EntryNames.printable(file.location()) + ", the store sent " + bytes);
            } else {
                received += bytes;
                store.received(bytes);
                error = summed(piece);
            }
            if (error != null) {
                next = which.cancel();
                store.failed(error);
                done = failUnderLock(error);
            } else {
                if (bytes > 0) {
                    opensWithoutProgress = 0;
                }
                long heldBefore = targets.heldBytes();
                targets.receive(piece, done);
                heldChanged(heldBefore);
                if (received == end) {
                    endGet();
                }
                next = demand(which);
            }
        }
        Targets.complete(done, error);
        if (error != null && next != null) {
            next.cancel();
        } else if (next != null) {
            next.request(1);
        }
    }

    /**
     * Under the lock: adds the piece to the sum, if one is asked for. Returns why the stream
     * must fail if the piece is the last and the sum is not the CRC-32 the store keeps: the
     * piece is then not given, and the archive does not look whole.
     */
    private IOException summed(ByteBuffer piece) {
        if (sum == null) {
            return null;
        }
        sum.add(piece);
        return received == end ? sum.mismatch() : null;
    }

    /** Under the lock: fails the stream for good; returns the targets to fail once the lock is released. */
    private List<Target> failUnderLock(Throwable error) {
        failure = error;
        List<Target> waiting = takeAll();
        store.unwatch(this);
        endGet();
        return waiting;
    }

    /** The attempt's response ended: a short body broke the stream. */
    void ended(Attempt which) {
        boolean shortBody;
        synchronized (this) {
            which.stopWaiting();
            shortBody = attempt == which && received < end && !closed;
            if (attempt == which && received == end) {
                store.unwatch(this);
            }
        }
        if (shortBody) {
            broken(which, new IOException("expected " + (end - received) + " more bytes of "
                    + EntryNames.printable(file.location()) + ", the store's response ended"), /* counted= */ false);
        }
    }

    /**
     * Under the lock: the subscription to ask for one more piece, if a target waits; or,
     * once every byte is in, for the end of the response, which comes only on demand:
     * until it comes, the store's connection is not given back to the pool.
     */
    private Subscription demand(Attempt which) {
        return which.demand(wantsBytes() || received == end);
    }

    /** Under the lock: whether bytes not yet received are wanted, by a target or to be held ahead of one. */
    private boolean wantsBytes() {
        return !targets.isEmpty() || lead.mayHoldMore();
    }

    /** Under the lock: the waiting targets, taken, and the held bytes dropped, which the lead then no longer counts. */
    private List<Target> takeAll() {
        long heldBefore = targets.heldBytes();
        List<Target> all = targets.takeAll();
        heldChanged(heldBefore);
        return all;
    }

    private void heldChanged(long heldBefore) {
        long change = targets.heldBytes() - heldBefore;
        if (change != 0) {
            lead.held(change);
        }
    }

    /** Under the lock: the GET is over for good (every byte in, failed or closed); the lead is told once. */
    private void endGet() {
        if (started && !getEnded) {
            getEnded = true;
            lead.getEnded();
        }
        settleSum();
    }

    /** Under the lock: the CRC-32 asked for, with every byte in, or the stream's failure. */
    private void settleSum() {
        if (sum != null) {
            sum.settle(received == end ? null : failure != null ? failure : new IOException("the download was closed"),
                    store.requests());
        }
    }

    /**
     * The attempt broke: open it again from where it stopped if that may help (at once if
     * a target waits, else when one comes), or fail every waiting target.
     *
     * @param counted whether the store already counted the failure (a failed request)
     */
    void broken(Attempt which, Throwable error, boolean counted) {
        Attempt reopen = null;
        List<Target> waiting = null;
        synchronized (this) {
            if (which != attempt) {
                return; // an earlier attempt's late signal
            }
            if (closed || failure != null) {
                store.unwatch(this); // the stream is over: closed with every byte in, the end never came
                return;
            }
            which.cancel(); // its subscription, if any, has ended or was cancelled already
            if (!counted) {
                store.failed(error);
            }
            if (received == end) {
                store.unwatch(this); // every byte is in: only the end of the response was missing
                return;
            }
            if (StorageErrors.worthResuming(error) && ++opensWithoutProgress <= MAX_OPENS_WITHOUT_PROGRESS) {
                log.info("reading {} broke at byte {} ({}): opening it again{}", EntryNames.printable(file.location()),
                        received, StorageErrors.describe(error), wantsBytes() ? "" : " when it is read on");
                store.resumed();
                attempt = null;
                if (!wantsBytes()) {
                    store.unwatch(this);
                } else {
                    reopen = newAttempt();
                }
            } else {
                waiting = failUnderLock(StorageErrors.forObject(error, file.name(), file.location()));
            }
        }
        if (reopen != null) {
            send(reopen);
        } else if (waiting != null) {
            Targets.complete(waiting, failure);
        }
    }

    /** Fails the stream for good because of what the attempt's response was. */
    private void failWith(Attempt which, Throwable error) {
        List<Target> waiting;
        synchronized (this) {
            if (which != attempt) {
                return;
            }
            if (closed || failure != null) {
                store.unwatch(this);
                return;
            }
            which.cancel();
            waiting = failUnderLock(error);
        }
        Targets.complete(waiting, error);
    }
}
