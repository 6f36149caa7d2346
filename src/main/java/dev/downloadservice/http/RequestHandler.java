package dev.downloadservice.http;

import dev.downloadservice.source.Failures;
import dev.downloadservice.source.SourceUnavailableException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests of one connection, one at a time: requests that arrive while a
 * response is under way (pipelining) wait their turn. Rejects first, then serves.
 */
final class RequestHandler extends SimpleChannelInboundHandler<HttpObject> {

    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);

    /** Pipelined requests held while a response is under way; more than this closes the connection. */
    private static final int MAX_WAITING_REQUESTS = 16;
    /**
     * A download may wait this many send timeouts on the server (a CRC of a file of many
     * GiB) before it counts as hung; only a task that never finishes takes that long.
     */
    private static final int MAX_SERVER_WAIT = 10;
    /** ... and at least this long, however short the send timeout. */
    private static final Duration MIN_SERVER_WAIT = Duration.ofMinutes(5);
    /** What a refused download is told to wait (503 Retry-After). */
    private static final int RETRY_AFTER_SECONDS = 10;
    /** RFC 3986 reg-name or IPv4 (unreserved, sub-delims, %XX) or an IP literal, then an optional port; may be empty. */
    private static final Pattern VALID_HOST =
            Pattern.compile("(?:(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{0,5})?");

    /** Fired into every connection when the server starts draining. */
    static final Object DRAIN = new Object();
    /** Prometheus text format 0.0.4: what scrapers of every version accept. */
    private static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerContext server;
    private final Endpoints endpoints;
    private final ArrayDeque<HttpRequest> waiting = new ArrayDeque<>();
    private boolean busy;
    /**
     * Closes the connection when a request head has not arrived in full within the idle
     * timeout of the connection being ready for it. The idle timeout alone would let a
     * client that sends a byte now and then (slowloris) hold the connection forever.
     */
    private ScheduledFuture<?> headDeadline;
    /** The request being answered: when it began and who sent it, for the access log. */
    private long requestStartNanos;
    private String client;
    /** When listing and planning the folder began, while that is under way; else 0. */
    private long preparingSinceNanos;
    private ArchiveTransfer transfer;

    RequestHandler(ServerContext server, Endpoints endpoints) {
        this.server = server;
        this.endpoints = endpoints;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
        // GET and HEAD have no body; the body of anything else is dropped after its 405.
        if (!(message instanceof HttpRequest request)) {
            return;
        }
        cancelHeadDeadline();
        if (!busy) {
            handle(ctx, request);
        } else if (waiting.size() < MAX_WAITING_REQUESTS) {
            waiting.add(request);
        } else {
            ctx.close();
        }
    }

    private void handle(ChannelHandlerContext ctx, HttpRequest request) {
        busy = true;
        requestStartNanos = System.nanoTime();
        client = server.clients().of(ctx.channel().remoteAddress(), request.headers());
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            FullHttpResponse response = cause instanceof TooLongHttpLineException
                    ? Responses.text(HttpResponseStatus.REQUEST_URI_TOO_LONG, "Request line too long: at most "
                            + server.limits().maxUrlLength() + " bytes")
                    : cause instanceof TooLongHttpHeaderException
                    ? Responses.text(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large:"
                            + " at most " + server.limits().maxHeaderSize() + " bytes")
                    : Responses.text(HttpResponseStatus.BAD_REQUEST, "Bad request");
            send(ctx, request, response, /* keepAlive= */ false);
            return;
        }
        if (request.protocolVersion().majorVersion() != 1) {
            send(ctx, request, Responses.text(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "HTTP version not supported: expected HTTP/1.x, found " + request.protocolVersion()), false);
            return;
        }
        if (!hasValidHost(request)) {
            send(ctx, request, Responses.text(HttpResponseStatus.BAD_REQUEST,
                    "Bad request: expected one valid Host header"), false);
            return;
        }
        RequestTarget target = RequestTarget.parse(request.uri(), server.folderPattern());
        switch (target.route()) {
            case BAD_REQUEST -> send(ctx, request, Responses.text(HttpResponseStatus.BAD_REQUEST, "Bad request"), false);
            case NOT_FOUND -> send(ctx, request, Responses.text(HttpResponseStatus.NOT_FOUND, Responses.NOT_FOUND_TEXT), true);
            default -> {
                HttpMethod method = request.method();
                if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
                    FullHttpResponse response = Responses.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed");
                    response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                    send(ctx, request, response, false);
                    return;
                }
                route(ctx, request, target);
            }
        }
    }

    /**
     * RFC 9112 3.2: an HTTP/1.1 request has exactly one Host header, any request at most
     * one, and its value is a host and an optional port. The Host is not used for anything
     * here, but a request that games it is answered 400, as the RFC requires.
     */
    private static boolean hasValidHost(HttpRequest request) {
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && !request.protocolVersion().equals(HttpVersion.HTTP_1_0))) {
            return false;
        }
        return hosts.isEmpty() || VALID_HOST.matcher(hosts.get(0)).matches();
    }

    private void route(ChannelHandlerContext ctx, HttpRequest request, RequestTarget target) {
        boolean admin = target.route() == RequestTarget.Route.METRICS || target.route() == RequestTarget.Route.HEALTH;
        if (admin ? !endpoints.admin() : !endpoints.archives()) {
            send(ctx, request, Responses.text(HttpResponseStatus.NOT_FOUND, Responses.NOT_FOUND_TEXT), true);
            return;
        }
        switch (target.route()) {
            case INDEX -> send(ctx, request, Responses.index(), true);
            // The process metrics read /proc/self/fd: not on the event loop.
            case METRICS -> offEventLoop(ctx, server.scrape(), (text, error) -> send(ctx, request, error == null
                    ? Responses.withBody(HttpResponseStatus.OK, METRICS_CONTENT_TYPE, text)
                    : Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Metrics failed"), true));
            case HEALTH -> {
                FullHttpResponse health = server.draining().get()
                        ? Responses.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "draining")
                        : Responses.text(HttpResponseStatus.OK, "ok");
                respond(ctx, request, health, true, /* counted= */ false); // a 503 while draining refuses nothing
            }
            case ARCHIVE_WITHOUT_SLASH -> send(ctx, request, Responses.redirect(rawPath(request.uri()) + "/"), true);
            case ARCHIVE -> serveArchive(ctx, request, target.folder());
            default -> throw new IllegalStateException("route " + target.route() + " was handled before");
        }
    }

    private void serveArchive(ChannelHandlerContext ctx, HttpRequest request, String folder) {
        preparingSinceNanos = System.nanoTime();
        prepare(folder).whenComplete((prepared, error) -> ctx.executor().execute(() -> {
            preparingSinceNanos = 0;
            if (!ctx.channel().isActive()) {
                return;
            }
            if (error != null && Failures.cause(error) instanceof SourceUnavailableException unavailable) {
                // The store is down or throttling, after its retries: the client may try again soon.
                log.warn("listing {} failed: {}", folder, unavailable.getMessage());
                FullHttpResponse busy = Responses.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "The file store is not answering: try again in a few seconds");
                busy.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
                send(ctx, request, busy, true);
            } else if (error != null) {
                log.warn("listing {} failed", folder, error);
                send(ctx, request, Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal server error"), false);
            } else if (prepared.isEmpty()) {
                log.info("download {}: no such folder", folder);
                send(ctx, request, Responses.text(HttpResponseStatus.NOT_FOUND, Responses.NOT_FOUND_TEXT), true);
            } else {
                sendArchive(ctx, request, folder, prepared.get());
            }
        }));
    }

    /** Runs {@code work} on the I/O pool, then {@code then} with its result back on this connection's event loop. */
    private <T> void offEventLoop(ChannelHandlerContext ctx, Supplier<T> work, BiConsumer<T, Throwable> then) {
        CompletableFuture.supplyAsync(work, server.io())
                .whenComplete((result, error) -> ctx.executor().execute(() -> then.accept(result, error)));
    }

    /** Lists the folder (on the source's threads) and plans its archive, or reuses the plan of an equal listing. */
    private CompletableFuture<Optional<PreparedArchive>> prepare(String folder) {
        long start = System.nanoTime();
        // Planned on the I/O pool: an object store completes its listing on the SDK's threads.
        return server.folders().list(folder).thenApplyAsync(listing -> {
            long listed = System.nanoTime();
            Optional<PreparedArchive> prepared = listing.map(server.archives()::of);
            if (log.isDebugEnabled() && listing.isPresent()) {
                log.debug("{}: listed {} entries in {} us, planned in {} us", folder, listing.get().files().size(),
                        (listed - start) / 1000, (System.nanoTime() - listed) / 1000);
            }
            return prepared;
        }, server.io());
    }

    private void sendArchive(ChannelHandlerContext ctx, HttpRequest request, String folder, PreparedArchive archive) {
        long length = archive.plan().length();
        HttpResponseStatus failed = Conditions.evaluate(request.headers(), archive.etag(), archive.lastModifiedSeconds(),
                archive.datesValidate());
        if (failed != null) {
            FullHttpResponse response = failed == HttpResponseStatus.NOT_MODIFIED
                    ? Responses.empty(failed)
                    : Responses.text(failed, "Precondition failed");
            send(ctx, request, withValidators(response, archive), true);
            return;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        // Range applies to GET only (RFC 9110 section 14.2).
        ByteRange range = !head && Conditions.rangeApplies(request.headers(), archive.etag())
                ? ByteRange.parse(request.headers().get(HttpHeaderNames.RANGE), length)
                : new ByteRange.Whole();
        if (range instanceof ByteRange.Unsatisfiable) {
            FullHttpResponse response = Responses.text(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    "Range not satisfiable: the archive has " + length + " bytes");
            response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + length);
            send(ctx, request, withValidators(response, archive), true);
            return;
        }
        ByteRange.Part part = range instanceof ByteRange.Part p ? p : new ByteRange.Part(0, length);
        boolean partial = range instanceof ByteRange.Part;
        boolean keepAlive = HttpUtil.isKeepAlive(request) && !server.draining().get();
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/zip")
                .set(HttpHeaderNames.CONTENT_LENGTH, part.length())
                .set(HttpHeaderNames.CONTENT_DISPOSITION, contentDisposition(folder + ".zip"));
        if (partial) {
            response.headers().set(HttpHeaderNames.CONTENT_RANGE,
                    "bytes " + part.start() + "-" + (part.end() - 1) + "/" + length);
        }
        withValidators(response, archive);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (head || part.length() == 0) {
            ctx.write(response);
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> {
                logAccess(request, response.status().code(), 0);
                responseDone(ctx, keepAlive);
            });
            return;
        }
        String taker = client;
        if (!server.slots().tryTake(taker)) {
            FullHttpResponse busyResponse = Responses.text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "Too many downloads at once: try again in a few seconds");
            busyResponse.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
            send(ctx, request, busyResponse, true);
            return;
        }
        try {
            startTransfer(ctx, request, folder, archive, part, partial, response, keepAlive, taker);
        } catch (RuntimeException e) {
            server.slots().giveBack(taker); // the transfer never began, so it will never give the slot back
            throw e;
        }
    }

    private void startTransfer(ChannelHandlerContext ctx, HttpRequest request, String folder, PreparedArchive archive,
                               ByteRange.Part part, boolean partial, HttpResponse response, boolean keepAlive,
                               String taker) {
        Pacing pacing = Pacing.of(server.delay(), server.limits().bytesPerSecond());
        ArchiveBody body = new ArchiveBody(archive.plan(), archive.listing().files(), part.start(), part.end(),
                server.folders(), server.checksums(), server.io(), ctx.alloc(), pacing.chunkSize());
        String name = partial ? folder + " bytes " + part.start() + "-" + (part.end() - 1) : folder;
        transfer = new ArchiveTransfer(ctx, body, name, archive.plan().entryCount(), part.length(), pacing,
                server.metrics(), (completed, bytesSent) -> {
                    transfer = null;
                    server.slots().giveBack(taker);
                    logAccess(request, response.status().code(), bytesSent);
                    // A transfer that did not complete closes the connection itself.
                    if (completed) {
                        responseDone(ctx, keepAlive);
                    }
                });
        transfer.start(response);
    }

    /** Validators and caching rules, on every answer about an existing archive. */
    private static <T extends HttpResponse> T withValidators(T response, PreparedArchive archive) {
        response.headers()
                .set(HttpHeaderNames.ETAG, archive.etag())
                .set(HttpHeaderNames.LAST_MODIFIED, Conditions.httpDate(archive.lastModifiedSeconds()))
                .set(HttpHeaderNames.ACCEPT_RANGES, "bytes")
                // The link is the key to the files: no shared cache may keep a copy.
                .set(HttpHeaderNames.CACHE_CONTROL, "private");
        return response;
    }

    private void send(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response, boolean keepAllowed) {
        respond(ctx, request, response, keepAllowed, true);
    }

    /** @param counted whether a 4xx or 5xx counts in requests_refused */
    private void respond(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response, boolean keepAllowed,
                         boolean counted) {
        if (counted && response.status().code() >= 400) {
            server.metrics().refused(response.status().code());
        }
        boolean keepAlive = keepAllowed && HttpUtil.isKeepAlive(request) && !server.draining().get();
        HttpUtil.setKeepAlive(response, keepAlive);
        int status = response.status().code();
        long bytes = request.method().equals(HttpMethod.HEAD) ? 0 : response.content().readableBytes();
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
            logAccess(request, status, f.isSuccess() ? bytes : 0);
            responseDone(ctx, keepAlive);
        });
    }

    private void logAccess(HttpRequest request, int status, long bytes) {
        server.accessLog().log(client, request, status, bytes, System.nanoTime() - requestStartNanos);
    }

    private void responseDone(ChannelHandlerContext ctx, boolean keepAlive) {
        if (!keepAlive || closesForDrain()) {
            ctx.close();
            return;
        }
        busy = false;
        HttpRequest next = waiting.poll();
        if (next != null) {
            handle(ctx, next);
        } else {
            awaitRequest(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        awaitRequest(ctx);
        ctx.fireChannelActive();
    }

    private void awaitRequest(ChannelHandlerContext ctx) {
        if (closesForDrain()) {
            ctx.close(); // accepted just before the listener closed, or done: no new request while draining
            return;
        }
        cancelHeadDeadline();
        headDeadline = ctx.executor().schedule(() -> {
            log.debug("connection {}: no whole request within {}: closed", ctx.channel().remoteAddress(),
                    server.idleTimeout());
            ctx.close();
        }, server.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** While draining, an archive connection takes no new request; the admin port stays open for /healthz's 503. */
    private boolean closesForDrain() {
        return server.draining().get() && endpoints.archives();
    }

    private void cancelHeadDeadline() {
        if (headDeadline != null) {
            headDeadline.cancel(false);
            headDeadline = null;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (transfer != null) {
            transfer.pump();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelHeadDeadline();
        waiting.clear();
        if (transfer != null) {
            transfer.clientGone();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == DRAIN) {
            if (!busy) {
                ctx.close(); // an idle keep-alive connection; a busy one closes after its response
            }
            return;
        }
        if (event instanceof IdleStateEvent) {
            Duration serverWait = transfer != null ? transfer.waitingOnServer()
                    : preparingSinceNanos != 0 ? Duration.ofNanos(System.nanoTime() - preparingSinceNanos) : Duration.ZERO;
            Duration serverWaitLimit = max(server.sendTimeout().multipliedBy(MAX_SERVER_WAIT), MIN_SERVER_WAIT);
            if (!serverWait.isZero() && serverWait.compareTo(serverWaitLimit) < 0) {
                return; // a CRC of a huge file or a --delay pause: our slowness, not the client's
            }
            if (transfer != null) {
                transfer.idle();
            } else if (busy) {
                log.debug("connection {} took no byte of a response for {}: closed", ctx.channel().remoteAddress(),
                        server.sendTimeout());
                ctx.close();
            }
            // Not busy: waiting for a request, which the head deadline (the idle timeout) bounds.
            return;
        }
        ctx.fireUserEventTriggered(event);
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

    private static String rawPath(String uri) {
        int end = uri.length();
        for (char c : new char[] {'?', '#'}) {
            int i = uri.indexOf(c);
            if (i >= 0) {
                end = Math.min(end, i);
            }
        }
        return uri.substring(0, end);
    }

    /** RFC 6266: a plain quoted name, plus the RFC 8187 form when the name is not plain ASCII. */
    static String contentDisposition(String fileName) {
        boolean plain = fileName.chars().allMatch(c -> c >= 0x20 && c < 0x7F && c != '"' && c != '\\');
        if (plain) {
            return "attachment; filename=\"" + fileName + "\"";
        }
        String encoded = URLEncoder.encode(fileName, StandardCharsets.UTF_8).replace("+", "%20");
        return "attachment; filename=\"archive.zip\"; filename*=UTF-8''" + encoded;
    }
}
