package dev.downloadservice.http;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the server is draining: set once, when it stops. From then on no connection is
 * kept alive after its response, no archive connection takes a new request, and
 * {@code /healthz} answers 503.
 */
final class Drain {

    private final AtomicBoolean draining = new AtomicBoolean();

    void start() {
        draining.set(true);
    }

    boolean isDraining() {
        return draining.get();
    }
}
