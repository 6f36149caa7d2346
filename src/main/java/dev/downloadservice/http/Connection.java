package dev.downloadservice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its requests answered one at a time (requests that arrive while
 * one is answered, pipelining, wait their turn, up to a limit), the deadline for a whole request head, the
 * send timeout, the drain, and the client going away. What a request gets is the
 * {@link Router}'s to decide; the answer under way is an {@link Exchange}.
 */
final class Connection extends SimpleChannelInboundHandler<HttpObject> {

    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    /** Pipelined requests held while a response is under way; more than this closes the connection. */
    private static final int MAX_WAITING_REQUESTS = 16;
    /**
     * A download may wait this many send timeouts on the server (a CRC of a file of many
     * GiB) before it counts as hung; only a task that never finishes takes that long.
     */
    private static final int MAX_SERVER_WAIT = 10;
    /** ... and at least this long, however short the send timeout. */
    private static final Duration MIN_SERVER_WAIT = Duration.ofMinutes(5);

    /** What becomes of a request that arrives while one is answered. */
    private enum Intake {
        /** It waits its turn. */
        OPEN,
        /**
         * More came than {@link #MAX_WAITING_REQUESTS}: those held are answered in turn, the rest
         * are dropped, and nothing more is read; the connection closes after the last answer.
         */
        FULL
    }

    /** How long a connection that has had no request yet may take to send one once the drain began. */
    private static final Duration DRAIN_FIRST_REQUEST = Duration.ofSeconds(1);

    /** Fired into every connection when the server starts draining. */
    static final Object DRAIN = new Object();
    /** Fired into the connections still open when the drain's time is up, just before they are closed. */
    static final Object DRAIN_OVER = new Object();

    /**
     * What connections share.
     *
     * @param idleTimeout a request head must arrive in full within this of the connection being ready for it
     * @param sendTimeout a response whose client takes no byte for this long is dropped
     */
    record Settings(Duration idleTimeout, Duration sendTimeout, ClientAddresses clients, Exchange.Context exchanges,
                    Drain drain) {
    }

    private final Settings settings;
    private final Endpoints endpoints;
    private final Router router;
    private final ArrayDeque<HttpRequest> waiting = new ArrayDeque<>();
    /** Whether the connection still takes requests in: not once more arrived than it holds. */
    private Intake intake = Intake.OPEN;
    /** The request being answered; null while the connection waits for one. */
    private Exchange exchange;
    /**
     * Requests answered so far. While the server drains, a connection that has answered none
     * still gets its first request answered: its client connected just before the listener
     * closed (or the kernel handed it over from a closing one) and has sent it, or is sending it.
     */
    private int requestsAnswered;
    /**
     * Closes the connection when a request head has not arrived in full within the idle
     * timeout of the connection being ready for it. The idle timeout alone would let a
     * client that sends a byte now and then (slowloris) hold the connection forever.
     */
    private ScheduledFuture<?> headDeadline;

    Connection(Settings settings, Endpoints endpoints, Router router) {
        this.settings = settings;
        this.endpoints = endpoints;
        this.router = router;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // Accepted as the drain began, perhaps after it told the connections: its request is on the way, or never comes.
        awaitHead(ctx, closesForDrain() ? DRAIN_FIRST_REQUEST : settings.idleTimeout());
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
        // A POST comes with its form, read by FormBodies; GET and HEAD have no body; any other's is dropped.
        if (!(message instanceof HttpRequest request)) {
            return;
        }
        cancelHeadDeadline();
        if (intake == Intake.FULL) {
            return; // read with the ones before it, after the intake closed
        }
        if (exchange == null) {
            answer(ctx, request);
        } else if (waiting.size() < MAX_WAITING_REQUESTS) {
            waiting.add(request);
        } else {
            log.debug("connection {}: more than {} requests waiting: the rest dropped, closing after those",
                    ctx.channel().remoteAddress(), MAX_WAITING_REQUESTS);
            intake = Intake.FULL;
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void answer(ChannelHandlerContext ctx, HttpRequest request) {
        String client = settings.clients().of(ctx.channel().remoteAddress(), request.headers());
        exchange = new Exchange(ctx, request, client, settings.exchanges(), this);
        router.route(exchange, endpoints);
    }

    /**
     * The answer is written (or its write failed): the next request, if the connection may
     * take one; else close. A closing connection keeps its exchange, so that a request
     * already read behind it waits, and goes with the connection, instead of being answered.
     */
    void answered(Exchange done, boolean keepAlive) {
        if (done != exchange) {
            return; // not the answer under way: told twice
        }
        ChannelHandlerContext ctx = done.ctx();
        requestsAnswered++;
        if (!keepAlive || closesForDrain()) {
            ctx.close();
            return;
        }
        exchange = null;
        HttpRequest next = waiting.poll();
        if (next != null) {
            answer(ctx, next);
        } else if (intake == Intake.FULL) {
            ctx.close();
        } else {
            awaitHead(ctx, settings.idleTimeout()); // a drain that begins meanwhile closes it (DRAIN)
        }
    }

    /** A request head must arrive in full within {@code deadline}, or the connection closes. */
    private void awaitHead(ChannelHandlerContext ctx, Duration deadline) {
        cancelHeadDeadline();
        headDeadline = ctx.executor().schedule(() -> {
            log.debug("connection {}: no whole request within {}: closed", ctx.channel().remoteAddress(), deadline);
            ctx.close();
        }, deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** While draining, an archive connection takes no new request; the admin port stays open for /healthz's 503. */
    private boolean closesForDrain() {
        return settings.drain().isDraining() && endpoints.archives();
    }

    private void cancelHeadDeadline() {
        if (headDeadline != null) {
            headDeadline.cancel(/* mayInterruptIfRunning= */ false);
            headDeadline = null;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelHeadDeadline();
        waiting.clear();
        if (exchange != null) {
            exchange.clientGone();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == DRAIN) {
            if (exchange == null && requestsAnswered > 0) {
                ctx.close(); // an idle keep-alive connection; a busy one closes after its response
            } else if (exchange == null) {
                awaitHead(ctx, DRAIN_FIRST_REQUEST); // a new one: its request is on the way, or never comes
            }
            return;
        }
        if (event == DRAIN_OVER) {
            if (exchange != null) {
                exchange.cutByDrain();
            } else {
                ctx.close();
            }
            return;
        }
        if (event instanceof IdleStateEvent) {
            // Waiting for a request is bounded by the head deadline (the idle timeout), not here.
            if (exchange != null && !waitsOnServerWithinLimit()) {
                exchange.timedOut(settings.sendTimeout());
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    /** A CRC of a huge file or a --delay pause: our slowness, not the client's, up to a limit. */
    private boolean waitsOnServerWithinLimit() {
        Duration serverWait = exchange.waitingOnServer();
        Duration limit = max(settings.sendTimeout().multipliedBy(MAX_SERVER_WAIT), MIN_SERVER_WAIT);
        return !serverWait.isZero() && serverWait.compareTo(limit) < 0;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("connection {} failed", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
