package dev.downloadservice.source.s3;

import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
 * network error), it is opened again from the first byte not yet received, with the
 * same {@code If-Match}, a few times in a row at most.
 */
final class ObjectStream implements Subscriber<ByteBuffer> {

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
    private Subscription subscription;
    private boolean requested;
    private int opensWithoutProgress;
    private boolean closed;
    private Throwable failure;

    ObjectStream(ObjectStore store, SourceFile file, long from, long end) {
        this.store = store;
        this.file = file;
        this.received = from;
        this.queuedUpTo = from;
        this.end = end;
        open();
    }

    /** Whether a read of {@code file} from {@code position} continues this stream. */
    synchronized boolean continues(SourceFile other, long position) {
        return other == file && position == queuedUpTo && failure == null && !closed;
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
                demand();
            }
        }
        if (error != null) {
            filled.completeExceptionally(error);
        }
        completeOutsideTheLock(done, null);
        return filled;
    }

    /** Ends the stream: the store's connection is let go, waiting targets fail. */
    void close() {
        List<Target> waiting;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (subscription != null) {
                subscription.cancel();
                subscription = null;
            }
            waiting = takeAll();
        }
        completeOutsideTheLock(waiting, new IOException("the download was closed"));
    }

    private void open() {
        store.get(file, received, end).whenComplete((publisher, error) -> {
            if (error != null) {
                broken(error);
            } else {
                publisher.subscribe(this);
            }
        });
    }

    @Override
    public synchronized void onSubscribe(Subscription s) {
        if (closed || subscription != null) {
            s.cancel();
            return;
        }
        subscription = s;
        requested = false;
        demand();
    }

    @Override
    public void onNext(ByteBuffer piece) {
        List<Target> done = new ArrayList<>();
        synchronized (this) {
            requested = false;
            if (closed || failure != null) {
                return;
            }
            int bytes = piece.remaining();
            if (received + bytes > end) {
                subscription.cancel();
                subscription = null;
                failure = new IOException("expected at most " + (end - received) + " more bytes of "
                        + file.location() + ", the store sent " + bytes);
                done = takeAll();
            }
        }
        if (failure != null) {
            completeOutsideTheLock(done, failure);
            return;
        }
        synchronized (this) {
            int bytes = piece.remaining();
            received += bytes;
            store.received(bytes);
            opensWithoutProgress = 0;
            deliver(piece, done);
            if (piece.hasRemaining()) {
                leftover = copy(piece); // the SDK may reuse its buffer
            }
            demand();
        }
        completeOutsideTheLock(done, null);
    }

    @Override
    public void onError(Throwable error) {
        broken(error);
    }

    @Override
    public void onComplete() {
        boolean shortBody;
        synchronized (this) {
            subscription = null;
            shortBody = !closed && received < end;
        }
        if (shortBody) {
            broken(new IOException("expected " + (end - received) + " more bytes of " + file.location()
                    + ", the store's response ended"));
        }
    }

    private void broken(Throwable error) {
        List<Target> waiting;
        synchronized (this) {
            subscription = null;
            requested = false;
            if (closed || failure != null) {
                return;
            }
            store.failed(error);
            if (StorageErrors.worthResuming(error) && ++opensWithoutProgress <= MAX_OPENS_WITHOUT_PROGRESS) {
                log.debug("reading {} broke at byte {} ({}): opening it again", file.location(), received,
                        StorageErrors.describe(error));
                store.resumed();
                open();
                return;
            }
            failure = StorageErrors.forObject(error, file.name(), file.location());
            waiting = takeAll();
        }
        completeOutsideTheLock(waiting, failure);
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
    private static void completeOutsideTheLock(List<Target> targets, Throwable error) {
        for (Target target : targets) {
            if (error == null) {
                target.filled().complete(null);
            } else {
                target.filled().completeExceptionally(error);
            }
        }
    }

    private void demand() {
        if (subscription != null && !requested && !targets.isEmpty()) {
            requested = true;
            subscription.request(1);
        }
    }

    private List<Target> takeAll() {
        List<Target> all = new ArrayList<>(targets);
        targets.clear();
        leftover = null;
        return all;
    }

    private static ByteBuffer copy(ByteBuffer piece) {
        ByteBuffer copy = ByteBuffer.allocate(piece.remaining());
        copy.put(piece).flip();
        return copy;
    }
}
