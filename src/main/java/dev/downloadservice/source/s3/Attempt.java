package dev.downloadservice.source.s3;

import java.nio.ByteBuffer;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One GET of an {@link ObjectStream}: its subscription to the response body, whether a
 * piece is asked for and since when, whether it was given up. Its signals go to the
 * stream, where only the current attempt's count; every other method runs under the
 * stream's lock, and the subscription it returns is called after the lock is released.
 */
final class Attempt implements Subscriber<ByteBuffer> {

    private final ObjectStream stream;
    /** The first byte this GET asks for. */
    final long from;
    private Subscription subscription;
    private boolean requested;
    /** When a piece was asked for and none came since; 0 when none is awaited. */
    private long waitingSinceNanos;
    /** Since when the body began or its last piece came with none asked for since; 0 while one is asked for. */
    private long pausedSinceNanos;
    private boolean cancelled;

    Attempt(ObjectStream stream, long from) {
        this.stream = stream;
        this.from = from;
    }

    @Override
    public void onSubscribe(Subscription s) {
        stream.subscribed(this, s);
    }

    @Override
    public void onNext(ByteBuffer piece) {
        stream.received(this, piece);
    }

    @Override
    public void onError(Throwable error) {
        stream.broken(this, error, /* counted= */ false);
    }

    @Override
    public void onComplete() {
        stream.ended(this);
    }

    boolean isCancelled() {
        return cancelled;
    }

    void subscription(Subscription s) {
        subscription = s;
        pausedSinceNanos = System.nanoTime();
    }

    /** A piece came: none is asked for now. */
    void answered() {
        requested = false;
        stopWaiting();
        pausedSinceNanos = System.nanoTime();
    }

    /** Nothing more is awaited (the body ended): the watchdog has nothing to time. */
    void stopWaiting() {
        waitingSinceNanos = 0;
    }

    /** Whether a piece was asked for more than {@code timeoutNanos} ago and none came. */
    boolean stalled(long nowNanos, long timeoutNanos) {
        return waitingSinceNanos != 0 && nowNanos - waitingSinceNanos > timeoutNanos;
    }

    /**
     * Whether the body began and no piece was asked for in more than {@code nanos}: its stream
     * holds all that its lead lets it, and its client is slow to take it.
     */
    boolean pausedFor(long nowNanos, long nanos) {
        return subscription != null && !requested && !cancelled && nowNanos - pausedSinceNanos > nanos;
    }

    /**
     * The subscription to ask for one more piece, if {@code wanted} and none is asked for
     * yet; else null.
     */
    Subscription demand(boolean wanted) {
        if (subscription != null && !requested && !cancelled && wanted) {
            requested = true;
            waitingSinceNanos = System.nanoTime();
            return subscription;
        }
        return null;
    }

    /** No more signals count; returns the subscription to cancel, outside the lock. */
    Subscription cancel() {
        cancelled = true;
        stopWaiting();
        Subscription s = subscription;
        subscription = null;
        return s;
    }
}
