package dev.downloadservice.http;

import dev.downloadservice.http.DownloadMetrics.Outcome;
import dev.downloadservice.source.Failures;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.SourceUnavailableException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one archive response: the head, then the body pulled from an {@link ArchiveBody}
 * one message at a time, only while the channel is writable and at most a couple of
 * writes are in flight, so a slow client holds a few buffers and an open file, no more.
 * Every method runs on the channel's event loop.
 */
final class ArchiveTransfer {

    private static final Logger log = LoggerFactory.getLogger(ArchiveTransfer.class);

    /** Written but not yet sent messages; file regions do not count towards writability, so cap them. */
    private static final int MAX_WRITES_IN_FLIGHT = 2;

    /** Told once when the response ends; after a failure the transfer has already closed the connection. */
    interface Done {
        void transferEnded(boolean completed, long bytesSent);
    }

    private final ChannelHandlerContext ctx;
    private final ArchiveBody body;
    private final String name;
    private final int entries;
    private final long length;
    private final Pacing pacing;
    private final Done done;
    private final DownloadMetrics metrics;
    private final long startNanos = System.nanoTime();

    private boolean producing;
    private long producingSinceNanos;
    private boolean ending;
    private boolean finished;
    private boolean wakeUpScheduled;
    private int writesInFlight;
    /** Files sent by sendfile whose check after sending has not finished. */
    private int checksInFlight;
    private long bytesQueued;
    /** The message that would complete the body, held while checks are under way. */
    private Object heldLast;
    private long notBeforeNanos;
    private long bytesSent;
    /** File regions written but not yet sent whole: what they sent so far counts when a download is cut. */
    private final List<FileRegion> regionsInFlight = new ArrayList<>(MAX_WRITES_IN_FLIGHT);

    ArchiveTransfer(ChannelHandlerContext ctx, ArchiveBody body, String name, int entries, long length,
                    Pacing pacing, DownloadMetrics metrics, Done done) {
        this.ctx = ctx;
        this.body = body;
        this.name = name;
        this.entries = entries;
        this.length = length;
        this.pacing = pacing;
        this.done = done;
        this.metrics = metrics;
    }

    void start(HttpResponse head) {
        metrics.started(length);
        writesInFlight++;
        ctx.writeAndFlush(head).addListener(this::afterWrite);
        pump();
    }

    /** Produces the next message if the client can take it; called again whenever that may have changed. */
    void pump() {
        if (finished || ending || producing || writesInFlight >= MAX_WRITES_IN_FLIGHT || !ctx.channel().isWritable()) {
            return;
        }
        if (!body.hasMore()) {
            // Netty may tell of earlier writes after a later one: end once every count is in.
            if (writesInFlight == 0 && checksInFlight == 0 && heldLast == null) {
                end();
            }
            return;
        }
        long wait = notBeforeNanos - System.nanoTime();
        if (wait > 0) {
            if (!wakeUpScheduled) {
                wakeUpScheduled = true;
                ctx.executor().schedule(() -> {
                    wakeUpScheduled = false;
                    pump();
                }, wait, TimeUnit.NANOSECONDS);
            }
            return;
        }
        producing = true;
        producingSinceNanos = System.nanoTime();
        body.next().whenComplete((message, error) -> {
            try {
                ctx.executor().execute(() -> produced(message, error));
            } catch (RejectedExecutionException shuttingDown) {
                ReferenceCountUtil.release(message);
            }
        });
    }

    /**
     * How long the transfer has been waiting on the server, not the client (producing the
     * next bytes, or a --delay pause); zero when it waits on the client.
     */
    Duration waitingOnServer() {
        if (producing) {
            return Duration.ofNanos(System.nanoTime() - producingSinceNanos);
        }
        return wakeUpScheduled ? Duration.ofNanos(1) : Duration.ZERO;
    }

    /** The client took no byte for the idle timeout, or the server hung producing them: drop it, freeing its files. */
    void idle() {
        finish(Outcome.TIMEOUT, producing ? "aborted: producing the next bytes took too long"
                : "aborted: the client took no bytes for the send timeout");
        ctx.close();
    }

    void clientGone() {
        finish(Outcome.CLIENT_GONE, "client gone");
    }

    private void produced(Object message, Throwable error) {
        producing = false;
        if (finished) {
            ReferenceCountUtil.release(message);
            body.close();
            return;
        }
        if (error != null) {
            abort(error);
            return;
        }
        if (message == null) {
            pump();
            return;
        }
        long size = sizeOf(message);
        if (bytesQueued + size == length && checksInFlight > 0) {
            // The last bytes complete the response for the client: not before every sent file proved unchanged.
            heldLast = message;
            return;
        }
        write(message, size);
    }

    private void write(Object message, long size) {
        bytesQueued += size;
        notBeforeNanos = pacing.nextChunkNanos(notBeforeNanos, System.nanoTime(), size);
        writesInFlight++;
        if (message instanceof FileRegion region) {
            regionsInFlight.add(region);
        }
        ctx.writeAndFlush(message).addListener(f -> {
            if (f.isSuccess()) {
                regionsInFlight.remove(message);
                bytesSent += size;
                checkSent(message);
            }
            afterWrite(f); // a failed region stays in flight: finish counts what sendfile got out of it
        });
        pump();
    }

    /** A file sent by sendfile is checked again; the response ends only after every check passed. */
    private void checkSent(Object message) {
        CompletableFuture<Void> check = body.sent(message);
        if (check.isDone() && !check.isCompletedExceptionally()) {
            return;
        }
        checksInFlight++;
        check.whenComplete((ignored, error) -> onEventLoop(() -> {
            checksInFlight--;
            if (finished) {
                return;
            }
            if (error != null) {
                abort(error);
            } else if (checksInFlight == 0 && heldLast != null) {
                Object last = heldLast;
                heldLast = null;
                write(last, sizeOf(last));
            } else {
                pump();
            }
        }));
    }

    private static long sizeOf(Object message) {
        return message instanceof ByteBuf buffer ? buffer.readableBytes() : ((FileRegion) message).count();
    }

    private void onEventLoop(Runnable task) {
        try {
            ctx.executor().execute(task);
        } catch (RejectedExecutionException shuttingDown) {
            // The server is stopping: the connection closes with it.
        }
    }

    /** The last bytes are written (the delay is between chunks, not after the last one). */
    private void end() {
        ending = true;
        writesInFlight++;
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
            afterWrite(f);
            if (f.isSuccess()) {
                finish(Outcome.COMPLETE, "complete");
            }
        });
    }

    private void afterWrite(Future<? super Void> future) {
        writesInFlight--;
        if (future.isSuccess()) {
            pump();
            return;
        }
        if (!finished) {
            Throwable cause = future.cause();
            if (cause instanceof ClosedChannelException || !ctx.channel().isActive()) {
                finish(Outcome.CLIENT_GONE, "client gone");
            } else {
                finish(Outcome.ERROR, "aborted: send failed: " + cause);
            }
            ctx.close();
        }
    }

    /** After the head is out, the only honest signal of a failure is to close before Content-Length is reached. */
    private void abort(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof FileChangedException) {
            finish(Outcome.FILE_CHANGED, "aborted: " + cause.getMessage());
        } else if (cause instanceof SourceUnavailableException) {
            finish(Outcome.ERROR, "aborted: " + cause.getMessage()); // the store's trouble, not a bug: one line
        } else {
            log.warn("download {} failed", name, cause);
            finish(Outcome.ERROR, "aborted: " + cause);
        }
        // The bytes already written are correct: let them reach the client (less to resume), then close.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void finish(Outcome outcome, String description) {
        if (finished) {
            return;
        }
        finished = true;
        ReferenceCountUtil.release(heldLast);
        heldLast = null;
        if (!producing) {
            body.close();
        }
        long nanos = System.nanoTime() - startNanos;
        for (FileRegion region : regionsInFlight) {
            bytesSent += region.transferred();
        }
        regionsInFlight.clear();
        metrics.ended(outcome, bytesSent, nanos);
        log.info("download {} entries={} sent={}/{} bytes in {} ms: {}", name, entries, bytesSent, length,
                TimeUnit.NANOSECONDS.toMillis(nanos), description);
        done.transferEnded(outcome == Outcome.COMPLETE, bytesSent);
    }
}
