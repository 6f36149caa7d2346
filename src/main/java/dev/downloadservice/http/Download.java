package dev.downloadservice.http;

import dev.downloadservice.http.DownloadMetrics.Outcome;
import dev.downloadservice.source.Failures;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.FilePart;
import dev.downloadservice.source.SourceUnavailableException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
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
 * One archive download: the head, then the body pulled from an {@link ArchiveBody} one part
 * at a time, only while the channel is writable and at most a couple of writes are in
 * flight, so a slow client holds a few buffers and an open file, no more.
 *
 * <p>Every way a download ends — complete, client gone, send timeout, a file changed, the
 * store failed, a send failed, the connection cut by the drain (which the download sees as
 * the client gone) — passes through {@link #end}, which frees the slot, the body's files,
 * buffers and streams, counts the outcome and closes the connection if it must. Every
 * method runs on the channel's event loop.
 */
final class Download {

    private static final Logger log = LoggerFactory.getLogger(Download.class);

    /** Written but not yet sent messages; file regions do not count towards writability, so cap them. */
    private static final int MAX_WRITES_IN_FLIGHT = 2;

    /** Told once, after the download ended; after any other outcome than complete the connection is closing. */
    interface Ended {
        void downloadEnded(Outcome outcome, long bytesSent);
    }

    /** What the download is doing; the counts of writes and checks in flight run alongside. */
    private enum State {
        /** May produce the next part as soon as the client can take it. */
        SENDING,
        /** Waiting for the body's next part: the server's work, not the client's. */
        PRODUCING,
        /** Waiting for the pacing's next slot (--delay, --rate-limit). */
        PAUSED,
        /** The part that completes the response, held until every write and check before it is done. */
        HOLDING_LAST,
        /** Still holding it: every file sent by sendfile is checked once more (see {@link #checkBeforeLast}). */
        CHECKING,
        /** The end of the response is written; waiting for it to go out. */
        FINISHING,
        /** Through {@link #end}: nothing is held any more. */
        ENDED
    }

    /** What becomes of the connection when a download ends. */
    private enum Close {
        /** Complete: the connection decides (keep-alive). */
        NONE,
        /** At once: the client is gone or takes nothing. */
        NOW,
        /** Once what was written is sent: those bytes are correct, so a resume has less to fetch. */
        AFTER_WRITTEN
    }

    private final ChannelHandlerContext ctx;
    private final DownloadContent content;
    private final ArchiveBody body;
    private final Slots.Slot slot;
    private final DownloadMetrics metrics;
    private final Ended ended;
    private final long startNanos = System.nanoTime();

    private State state = State.SENDING;
    private long producingSinceNanos;
    private int writesInFlight;
    /** Files sent by sendfile whose check after sending has not finished. */
    private int checksInFlight;
    private long bytesQueued;
    /** The part that would complete the body, held while checks are under way. */
    private BodyPart heldLast;
    private long notBeforeNanos;
    private long bytesSent;
    /** Files sent by sendfile, checked once more before the last part. */
    private final List<FilePart> sentUnseen = new ArrayList<>();
    /** File regions written but not yet sent whole: what they sent so far counts when a download is cut. */
    private final List<FileRegion> regionsInFlight = new ArrayList<>(MAX_WRITES_IN_FLIGHT);

    Download(ChannelHandlerContext ctx, DownloadContent content, Slots.Slot slot, DownloadMetrics metrics,
             Ended ended) {
        this.ctx = ctx;
        this.content = content;
        this.body = content.body();
        this.slot = slot;
        this.metrics = metrics;
        this.ended = ended;
    }

    void start(HttpResponse head) {
        metrics.started(content.length());
        writesInFlight++;
        ctx.writeAndFlush(head).addListener(this::afterWrite);
        pump();
    }

    /** Produces the next part if the client can take it; called again whenever that may have changed. */
    void pump() {
        if (state != State.SENDING || writesInFlight >= MAX_WRITES_IN_FLIGHT || !ctx.channel().isWritable()) {
            return;
        }
        if (!body.hasMore()) {
            // Netty may tell of earlier writes after a later one: finish once every count is in.
            if (writesInFlight == 0 && checksInFlight == 0) {
                finish();
            }
            return;
        }
        long wait = notBeforeNanos - System.nanoTime();
        if (wait > 0) {
            state = State.PAUSED;
            ctx.executor().schedule(() -> {
                if (state == State.PAUSED) {
                    state = State.SENDING;
                    pump();
                }
            }, wait, TimeUnit.NANOSECONDS);
            return;
        }
        state = State.PRODUCING;
        producingSinceNanos = System.nanoTime();
        body.next().whenComplete((part, error) -> {
            try {
                ctx.executor().execute(() -> produced(part, error));
            } catch (RejectedExecutionException shuttingDown) {
                if (part != null) {
                    part.release();
                }
            }
        });
    }

    /**
     * How long the download has been waiting on the server, not the client (producing the
     * next bytes, or a --delay pause); zero when it waits on the client.
     */
    Duration waitingOnServer() {
        return switch (state) {
            case PRODUCING -> Duration.ofNanos(System.nanoTime() - producingSinceNanos);
            case PAUSED -> Duration.ofNanos(1);
            default -> Duration.ZERO;
        };
    }

    /** The client took no byte for the send timeout, or the server hung producing them: drop it, freeing its files. */
    void timedOut() {
        end(Outcome.TIMEOUT, state == State.PRODUCING ? "aborted: producing the next bytes took too long"
                : "aborted: the client took no bytes for the send timeout", Close.NOW);
    }

    void clientGone() {
        end(Outcome.CLIENT_GONE, "client gone", Close.NOW);
    }

    /** The server stopped and the download did not end within the shutdown timeout. */
    void cutByDrain() {
        end(Outcome.DRAIN_CUT, "cut by the drain: the server stopped and the shutdown timeout passed", Close.NOW);
    }

    private void produced(BodyPart part, Throwable error) {
        if (state == State.ENDED) {
            if (part != null) {
                part.release(); // the body was closed by end(): only this part was still on its way
            }
            return;
        }
        state = State.SENDING;
        if (error != null) {
            abort(error);
            return;
        }
        if (part == null) {
            pump();
            return;
        }
        if (bytesQueued + part.size() == content.length() && !sentUnseen.isEmpty()) {
            // The last bytes complete the response for the client: not before every file sent unseen proved unchanged.
            state = State.HOLDING_LAST;
            heldLast = part;
            checkBeforeLast();
            return;
        }
        write(part);
    }

    /**
     * Holding the last part: once every write and check before it is done, checks every file
     * sent by sendfile once more, then sends it. By then the response's tail, written through
     * memory, is longer than the socket's queues and a local peer's can hold
     * ({@link SocketBuffers}): no byte sent by sendfile can still be read from the page cache,
     * so a file unchanged now reached the client unchanged, and a write from now on cannot.
     */
    private void checkBeforeLast() {
        if (state != State.HOLDING_LAST || writesInFlight > 0 || checksInFlight > 0) {
            return;
        }
        state = State.CHECKING;
        body.zeroCopy().orElseThrow().checkUnchanged(List.copyOf(sentUnseen))
                .whenComplete((ignored, error) -> onEventLoop(() -> {
                    if (state != State.CHECKING) {
                        return; // ended meanwhile
                    }
                    if (error != null) {
                        abort(error);
                        return;
                    }
                    BodyPart last = heldLast;
                    heldLast = null;
                    state = State.SENDING;
                    write(last);
                }));
    }

    private void write(BodyPart part) {
        long size = part.size();
        bytesQueued += size;
        notBeforeNanos = content.pacing().nextChunkNanos(notBeforeNanos, System.nanoTime(), size);
        writesInFlight++;
        if (part instanceof BodyPart.FileBytes file) {
            regionsInFlight.add(file.region());
            sentUnseen.add(file.file());
        }
        ctx.writeAndFlush(part.message()).addListener(f -> {
            if (f.isSuccess()) {
                regionsInFlight.remove(part.message());
                bytesSent += size;
                if (part instanceof BodyPart.FileBytes file && state != State.ENDED) {
                    checkSent(file); // after the end, nothing waits for the check
                }
            }
            afterWrite(f); // a failed region stays in flight: end counts what sendfile got out of it
        });
        pump();
    }

    /** A file sent by sendfile is checked again; the response ends only after every check passed. */
    private void checkSent(BodyPart.FileBytes sent) {
        CompletableFuture<Void> check = sent.file().checkUnchanged();
        checksInFlight++;
        check.whenComplete((ignored, error) -> onEventLoop(() -> {
            checksInFlight--;
            if (state == State.ENDED) {
                return;
            }
            if (error != null) {
                abort(error);
            } else if (state == State.HOLDING_LAST) {
                checkBeforeLast();
            } else {
                pump();
            }
        }));
    }

    private void onEventLoop(Runnable task) {
        try {
            ctx.executor().execute(task);
        } catch (RejectedExecutionException shuttingDown) {
            // The server is stopping: the connection closes with it.
        }
    }

    /** The last bytes are written (the delay is between chunks, not after the last one). */
    private void finish() {
        state = State.FINISHING;
        writesInFlight++;
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
            afterWrite(f);
            if (f.isSuccess()) {
                end(Outcome.COMPLETE, "complete", Close.NONE);
            }
        });
    }

    private void afterWrite(Future<? super Void> future) {
        writesInFlight--;
        if (future.isSuccess()) {
            checkBeforeLast();
            pump();
        } else if (future.cause() instanceof ClosedChannelException || !ctx.channel().isActive()) {
            end(Outcome.CLIENT_GONE, "client gone", Close.NOW);
        } else {
            end(Outcome.ERROR, "aborted: send failed: " + future.cause(), Close.NOW);
        }
    }

    /** After the head is out, the only honest signal of a failure is to close before Content-Length is reached. */
    private void abort(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof FileChangedException) {
            end(Outcome.FILE_CHANGED, "aborted: " + cause.getMessage(), Close.AFTER_WRITTEN);
        } else if (cause instanceof SourceUnavailableException) {
            // The store's trouble, not a bug: one line.
            end(Outcome.ERROR, "aborted: " + cause.getMessage(), Close.AFTER_WRITTEN);
        } else {
            log.warn("download {} failed", content.name(), cause);
            end(Outcome.ERROR, "aborted: " + cause, Close.AFTER_WRITTEN);
        }
    }

    /** The one ending: frees what the download holds, counts it, logs it, tells the exchange, closes if it must. */
    private void end(Outcome outcome, String why, Close close) {
        if (state == State.ENDED) {
            return;
        }
        state = State.ENDED;
        slot.giveBack();
        if (heldLast != null) {
            heldLast.release();
            heldLast = null;
        }
        // At once, even while a part is on its way: reads end (a store's GETs are cancelled, what was read
        // ahead is dropped), and the part's buffer is freed only once its read has ended (see produced).
        body.close();
        for (FileRegion region : regionsInFlight) {
            bytesSent += region.transferred();
        }
        regionsInFlight.clear();
        long nanos = System.nanoTime() - startNanos;
        metrics.ended(outcome, bytesSent, nanos);
        log.info("download {} entries={} sent={}/{} bytes in {} ms: {}", content.name(), content.entries(), bytesSent,
                content.length(), TimeUnit.NANOSECONDS.toMillis(nanos), why);
        ended.downloadEnded(outcome, bytesSent);
        switch (close) {
            case NOW -> ctx.close();
            case AFTER_WRITTEN -> ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            case NONE -> {
                // The exchange goes on with the connection.
            }
        }
    }
}
