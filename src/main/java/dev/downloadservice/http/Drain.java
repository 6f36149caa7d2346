package dev.downloadservice.http;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drain when the server stops: from then on no connection is kept alive after its
 * response, no archive connection takes a new request, and {@code /healthz} answers 503;
 * running downloads get up to the shutdown timeout to finish, then are cut.
 */
final class Drain {

    private static final Logger log = LoggerFactory.getLogger(Drain.class);
    private static final long CLOSE_TIMEOUT_SECONDS = 10;

    /** How many archive connections were open when the drain began, and how many it cut at its end. */
    record Counts(int running, int cut) {
    }

    private final AtomicBoolean draining = new AtomicBoolean();
    /** The open connections of the archive port; a closed one leaves the group by itself. */
    private final ChannelGroup archiveConnections = new DefaultChannelGroup("archive connections",
            GlobalEventExecutor.INSTANCE);
    private final Duration timeout;

    Drain(Duration timeout) {
        this.timeout = timeout;
    }

    /** A new connection of the archive port, to be drained. */
    void track(Channel archiveConnection) {
        archiveConnections.add(archiveConnection);
    }

    boolean isDraining() {
        return draining.get();
    }

    /**
     * Drains: no keep-alive from now on, then {@code stopAccepting}; idle connections close
     * now, busy ones after their response; whatever is left after the timeout is closed.
     */
    Counts run(Runnable stopAccepting) throws InterruptedException {
        draining.set(true);
        stopAccepting.run();
        int running = archiveConnections.size();
        log.info("draining: no longer accepting; {} connections open, up to {} s to finish", running,
                timeout.toMillis() / 1000.0);
        archiveConnections.forEach(connection -> connection.pipeline().fireUserEventTriggered(Connection.DRAIN));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!archiveConnections.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        int cut = archiveConnections.size();
        // Each download learns it was cut by the drain, not by its client, before its connection closes.
        archiveConnections.forEach(connection -> connection.pipeline().fireUserEventTriggered(Connection.DRAIN_OVER));
        archiveConnections.close().awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return new Counts(running, cut);
    }

    Duration timeout() {
        return timeout;
    }
}
