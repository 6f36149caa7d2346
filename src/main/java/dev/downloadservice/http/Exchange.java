package dev.downloadservice.http;

import dev.downloadservice.http.DownloadMetrics.Outcome;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request on a connection and its answer, from the request head to the last byte: who
 * asked and when (for the access log), what the answer is doing (for the send timeout and a
 * client that goes away), and how it ends. Every answer that is written, or whose write
 * failed, ends in the connection's {@link Connection#answered}; a download that does not
 * complete closes the connection itself.
 * Every method runs on the connection's event loop.
 */
final class Exchange {

    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    /** What the answer is doing. */
    private enum Phase {
        /** Working out or writing a response the server has in hand: waiting on the client, if anyone. */
        ANSWERING,
        /** Listing and planning a folder: waiting on the server. */
        PREPARING,
        /** A download under way: it knows on whom it waits. */
        DOWNLOADING
    }

    /** What answers share: the access log, the counts, the drain. */
    record Context(AccessLog accessLog, DownloadMetrics metrics, Drain drain) {
    }

    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final String client;
    private final Context context;
    private final Connection connection;
    private final long startNanos = System.nanoTime();

    private Phase phase = Phase.ANSWERING;
    private long preparingSinceNanos;
    private CompletableFuture<?> preparation;
    private Download download;

    Exchange(ChannelHandlerContext ctx, HttpRequest request, String client, Context context, Connection connection) {
        this.ctx = ctx;
        this.request = request;
        this.client = client;
        this.context = context;
        this.connection = connection;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    HttpRequest request() {
        return request;
    }

    /** Who asked, as the access log names them: the peer, or the client a trusted proxy names. */
    String client() {
        return client;
    }

    /** Whether the connection may serve another request after this one. */
    boolean keepsAlive() {
        return HttpUtil.isKeepAlive(request) && !context.drain().isDraining();
    }

    /** Sends a whole response; the connection may then take another request. */
    void respond(FullHttpResponse response) {
        write(response, /* keepAllowed= */ true, /* counted= */ true);
    }

    /** Sends a whole response, then closes: the request was bad, and what follows it cannot be trusted. */
    void respondAndClose(FullHttpResponse response) {
        write(response, /* keepAllowed= */ false, /* counted= */ true);
    }

    /** Sends a whole response whose 5xx refuses nothing ({@code /healthz} while draining). */
    void respondUncounted(FullHttpResponse response) {
        write(response, /* keepAllowed= */ true, /* counted= */ false);
    }

    private void write(FullHttpResponse response, boolean keepAllowed, boolean counted) {
        phase = Phase.ANSWERING;
        int status = response.status().code();
        if (counted && status >= 400) {
            context.metrics().refused(status);
        }
        boolean keepAlive = keepAllowed && keepsAlive();
        HttpUtil.setKeepAlive(response, keepAlive);
        long bytes = request.method().equals(HttpMethod.HEAD) ? 0 : response.content().readableBytes();
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            logAccess(status, f.isSuccess() ? bytes : 0);
            connection.answered(this, keepAlive);
        });
    }

    /** Sends the head of a response whose body is empty (HEAD, or an empty range). */
    void respondHeadOnly(HttpResponse head, boolean keepAlive) {
        phase = Phase.ANSWERING;
        ctx.write(head);
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
            logAccess(head.status().code(), 0);
            connection.answered(this, keepAlive);
        });
    }

    /**
     * The folder is being listed and planned: the server's time, not the client's. If the client
     * goes away meanwhile, the preparation is cancelled: nobody waits for the listing any more.
     */
    void preparing(CompletableFuture<?> preparation) {
        phase = Phase.PREPARING;
        preparingSinceNanos = System.nanoTime();
        this.preparation = preparation;
    }

    /** The folder is listed and planned (or failed): whatever follows waits on the client again. */
    void prepared() {
        phase = Phase.ANSWERING;
    }

    /** Sends the head, then the body; the download gives back its slot however it ends. */
    void download(DownloadContent content, Slots.Slot slot, HttpResponse head, boolean keepAlive) {
        phase = Phase.DOWNLOADING;
        download = new Download(ctx, content, slot, context.metrics(), (outcome, bytesSent) -> {
            download = null;
            phase = Phase.ANSWERING;
            logAccess(head.status().code(), bytesSent);
            if (outcome == Outcome.COMPLETE) {
                connection.answered(this, keepAlive);
            } // else the download has closed the connection
        });
        download.start(head);
    }

    /** How long the answer has waited on the server, not the client; zero when it waits on the client. */
    Duration waitingOnServer() {
        return switch (phase) {
            case PREPARING -> Duration.ofNanos(System.nanoTime() - preparingSinceNanos);
            case DOWNLOADING -> download.waitingOnServer();
            case ANSWERING -> Duration.ZERO;
        };
    }

    /** The client took no byte of the answer for the send timeout, or the server hung making it. */
    void timedOut(Duration sendTimeout) {
        if (download != null) {
            download.timedOut();
            return;
        }
        log.debug("connection {} took no byte of a response for {}: closed", ctx.channel().remoteAddress(),
                sendTimeout);
        ctx.close();
    }

    void writabilityChanged() {
        if (download != null) {
            download.pump();
        }
    }

    /** The server stops and its shutdown timeout is over: the answer is cut, and counted so. */
    void cutByDrain() {
        if (download != null) {
            download.cutByDrain(); // which closes the connection, as every ending of a download does
        } else {
            ctx.close();
        }
    }

    void clientGone() {
        if (download != null) {
            download.clientGone();
        } else if (phase == Phase.PREPARING && preparation.cancel(/* mayInterruptIfRunning= */ false)) {
            context.metrics().listingAbandoned();
        }
    }

    private void logAccess(int status, long bytes) {
        context.accessLog().log(client, request, status, bytes, System.nanoTime() - startNanos);
    }
}
