package dev.downloadservice.source.s3;

import java.nio.ByteBuffer;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/** Subscribes to a response that cannot be used only to cancel it, so that its connection is let go. */
final class CancelAtOnce implements Subscriber<ByteBuffer> {

    @Override
    public void onSubscribe(Subscription s) {
        s.cancel();
    }

    @Override
    public void onNext(ByteBuffer piece) {
    }

    @Override
    public void onError(Throwable error) {
    }

    @Override
    public void onComplete() {
    }
}
