package dev.downloadservice.source.s3;

import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bytes {@code [from, end)} of one object, from one ranged GET, into the targets given
 * in order. It asks the store for the next piece only while a target waits to be
 * filled, so a client that stops reading stops the object's transfer too (TCP's flow
 * control reaches the store): a slow visitor costs the few targets queued, never the object.
 *
 * <p>If the stream breaks (the store closed a connection left idle by a slow visitor, a
 * network error) or stalls (no byte for the store's timeout while one is asked for), it
 * is opened again from the first byte not yet received, with the same {@code If-Match},
 * a few times in a row at most.
 */
final class ObjectStream {

    private static final Logger log = LoggerFactory.getLogger(ObjectStream.class);

    /** Opens in a row without a byte received in between, before the read fails. */
    static final int MAX_OPENS_WITHOUT_PROGRESS = 3;

    private record Target(ByteBuffer buffer, CompletableFuture<Void> filled) {
    }

    private final ObjectStore store;
    private final SourceFile file;
    private final long end;
    private final ArrayDeque<Target> targets = new ArrayDeque<>();

    /** The next byte the store will send: received bytes are [.., received). */
    private long received;
    /** Where the next target given starts. */
    private long queuedUpTo;
    /** Received bytes no target took yet (the last piece overshot the targets). */
    private ByteBuffer leftover;
    /** The GET now under way; signals of earlier ones are ignored. */
    private Attempt attempt;
    private int opensWithoutProgress;
    private boolean closed;
    private Throwable failure;

    ObjectStream(ObjectStore store, SourceFile file, long from, long end) {
        this.store = store;
        this.file = file;
        this.received = from;
        this.queuedUpTo = from;
        this.end = end;
        synchronized (this) {
            open();
        }
    }

    /** Whether a read of {@code file} from {@code position} continues this stream. */
    synchronized boolean continues(SourceFile other, long position) {
        return other == file && position == queuedUpTo && failure == null && !closed;
    }

    /** Whether nothing more will come of it: every byte was received and taken, or it failed or was closed. */
    synchronized boolean isOver() {
        return closed || failure != null || (received == end && targets.isEmpty() && leftover == null);
    }

    /** Fills the target with the next bytes; completes when it is full or the stream failed. */
    CompletableFuture<Void> fill(ByteBuffer target) {
        CompletableFuture<Void> filled = new CompletableFuture<>();
        List<Target> done = new ArrayList<>();
        Throwable error = null;
        synchronized (this) {
            if (failure != null || closed) {
                error = failure != null ? failure : new IOException("the download was closed");
            } else {
                if (queuedUpTo + target.remaining() > end) {
                    throw new IllegalArgumentException("expected a read within [" + queuedUpTo + ", " + end
                            + "), found one of " + target.remaining() + " bytes");
                }
                queuedUpTo += target.remaining();
                targets.add(new Target(target, filled));
                if (leftover != null) {
                    deliver(leftover, done);
                    leftover = leftover.hasRemaining() ? leftover : null;
                }
                attempt.demand();
            }
        }
        if (error != null) {
            filled.completeExceptionally(error);
        }
        complete(done, null);
        return filled;
    }

    /** Ends the stream: the store's connection is let go, waiting targets fail. */
    void close() {
        List<Target> waiting;
        Attempt last;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            last = attempt;
            waiting = takeAll();
        }
        last.cancel();
        complete(waiting, new IOException("the download was closed"));
    }

    /**
     * Called now and then by the store's watchdog: a GET that got no byte for the timeout
     * while one was asked for is given up, as if it broke (a hung connection sends no error).
     */
    void checkStalled(long nowNanos, long timeoutNanos) {
        Attempt stalled;
        synchronized (this) {
            stalled = attempt.waitingSinceNanos != 0 && nowNanos - attempt.waitingSinceNanos > timeoutNanos
                    ? attempt : null;
        }
        if (stalled != null) {
            stalled.cancel();
            broken(stalled, new TimeoutException("expected a byte of " + file.location() + " from the store, found"
                    + " none for " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s"));
        }
    }

    /** A new GET from the first byte not yet received; under this object's lock. */
    private void open() {
        Attempt next = new Attempt();
        attempt = next;
        store.watch(this);
        store.get(file, received, end).whenComplete((publisher, error) -> {
            if (error != null) {
                broken(next, error);
            } else {
                publisher.subscribe(next);
            }
        });
    }

    /** What one GET's body brought: only the current attempt's signals count. */
    private final class Attempt implements Subscriber<ByteBuffer> {
        private Subscription subscription;
        private boolean requested;
        /** When a piece was asked for and none came since; 0 when none is awaited. */
        private long waitingSinceNanos;
        private boolean cancelled;

        @Override
        public void onSubscribe(Subscription s) {
            synchronized (ObjectStream.this) {
                if (cancelled || attempt != this || closed) {
                    s.cancel();
                    return;
                }
                subscription = s;
                demand();
            }
        }

        @Override
        public void onNext(ByteBuffer piece) {
            List<Target> done = new ArrayList<>();
            Throwable overflow = null;
            synchronized (ObjectStream.this) {
                requested = false;
                waitingSinceNanos = 0;
                if (attempt != this || closed || failure != null) {
                    return;
                }
                int bytes = piece.remaining();
                if (received + bytes > end) {
                    cancel();
                    failure = overflow = new IOException("expected at most " + (end - received) + " more bytes of "
                            + file.location() + ", the store sent " + bytes);
                    done = takeAll();
                } else {
                    received += bytes;
                    store.received(bytes);
                    opensWithoutProgress = 0;
                    deliver(piece, done);
                    if (piece.hasRemaining()) {
                        leftover = copy(piece); // the SDK may reuse its buffer
                    }
                    demand();
                }
            }
            complete(done, overflow);
        }

        @Override
        public void onError(Throwable error) {
            broken(this, error);
        }

        @Override
        public void onComplete() {
            boolean shortBody;
            synchronized (ObjectStream.this) {
                waitingSinceNanos = 0;
                shortBody = attempt == this && !closed && received < end;
                if (attempt == this && received == end) {
                    store.unwatch(ObjectStream.this);
                }
            }
            if (shortBody) {
                broken(this, new IOException("expected " + (end - received) + " more bytes of " + file.location()
                        + ", the store's response ended"));
            }
        }

        /**
         * Asks for the next piece while a target waits; and once every byte is in, once more:
         * the end of the response comes only on demand, and until it comes the store's
         * connection is not given back to the pool. Under the stream's lock.
         */
        void demand() {
            if (subscription != null && !requested && !cancelled && (!targets.isEmpty() || received == end)) {
                requested = true;
                waitingSinceNanos = System.nanoTime();
                subscription.request(1);
            }
        }

        /** Lets the store's connection go. */
        void cancel() {
            Subscription s;
            synchronized (ObjectStream.this) {
                cancelled = true;
                waitingSinceNanos = 0;
                s = subscription;
                subscription = null;
            }
            if (s != null) {
                s.cancel();
            }
        }
    }

    private void broken(Attempt which, Throwable error) {
        List<Target> waiting;
        synchronized (this) {
            if (which != attempt || closed || failure != null) {
                return; // an earlier attempt's late signal, or the end already came
            }
            which.cancelled = true;
            which.subscription = null;
            which.waitingSinceNanos = 0;
            store.failed(error);
            if (StorageErrors.worthResuming(error) && ++opensWithoutProgress <= MAX_OPENS_WITHOUT_PROGRESS) {
                log.info("reading {} broke at byte {} ({}): opening it again", file.location(), received,
                        StorageErrors.describe(error));
                store.resumed();
                open();
                return;
            }
            failure = StorageErrors.forObject(error, file.name(), file.location());
            waiting = takeAll();
        }
        complete(waiting, failure);
    }

    /** Copies from the piece into the waiting targets, in order; a target it fills goes to {@code done}. */
    private void deliver(ByteBuffer piece, List<Target> done) {
        while (piece.hasRemaining() && !targets.isEmpty()) {
            Target target = targets.peek();
            int n = Math.min(piece.remaining(), target.buffer().remaining());
            ByteBuffer part = piece.duplicate();
            part.limit(part.position() + n);
            target.buffer().put(part);
            piece.position(piece.position() + n);
            if (!target.buffer().hasRemaining()) {
                done.add(targets.poll());
            }
        }
    }

    /** Whoever waits on a target may go on at once (read on, even here): never while this holds its lock. */
    private static void complete(List<Target> targets, Throwable error) {
        for (Target target : targets) {
            if (error == null) {
                target.filled().complete(null);
            } else {
                target.filled().completeExceptionally(error);
            }
        }
    }

    /** Under the lock: the waiting targets, taken; the stream is over for good. */
    private List<Target> takeAll() {
        List<Target> all = new ArrayList<>(targets);
        targets.clear();
        leftover = null;
        store.unwatch(this);
        return all;
    }

    private static ByteBuffer copy(ByteBuffer piece) {
        ByteBuffer copy = ByteBuffer.allocate(piece.remaining());
        copy.put(piece).flip();
        return copy;
    }
}
