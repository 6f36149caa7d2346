package dev.downloadservice.http;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * What a request gets: rejects first (a malformed request, another HTTP version, a bad
 * Host, a method other than GET and HEAD, or POST for an archive), then routes it to the index page, the
 * metrics, the health check, or an archive ({@link ArchiveResponder}).
 */
final class Router {

    /** RFC 3986 reg-name or IPv4 (unreserved, sub-delims, %XX) or an IP literal, then an optional port; may be empty. */
    private static final Pattern VALID_HOST =
            Pattern.compile("(?:(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{0,5})?");
    /** Prometheus text format 0.0.4: what scrapers of every version accept. */
    private static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /**
     * The metrics page: the text is made on the I/O pool, since the process metrics read
     * /proc/self/fd, which is no work for an event loop.
     */
    record MetricsPage(Supplier<String> scrape, Executor io) {
        CompletableFuture<String> render() {
            return CompletableFuture.supplyAsync(scrape, io);
        }
    }

    /**
     * @param maxUrlLength  longest request line, for the 414's text
     * @param maxHeaderSize most bytes of request headers, for the 431's text
     * @param maxFormSize   most bytes of a POST's form, read before it is answered ({@link FormBodies})
     */
    record Rules(Pattern folderPattern, int maxUrlLength, int maxHeaderSize, int maxFormSize) {
    }

    private final Rules rules;
    private final IndexPage index;
    private final MetricsPage metrics;
    private final Drain drain;
    private final ArchiveResponder archives;

    Router(Rules rules, IndexPage index, MetricsPage metrics, Drain drain, ArchiveResponder archives) {
        this.rules = rules;
        this.index = index;
        this.metrics = metrics;
        this.drain = drain;
        this.archives = archives;
    }

    Rules rules() {
        return rules;
    }

    void route(Exchange exchange, Endpoints endpoints) {
        HttpRequest request = exchange.request();
        if (request.decoderResult().cause() instanceof TooLongHttpContentException) {
            // The request was read as HTTP frames it, and FormBodies drops the rest of its body: the connection
            // may go on, so that a client still sending its form reads the 413 instead of a reset.
            exchange.respond(malformed(request.decoderResult().cause()));
            return;
        }
        if (request.decoderResult().isFailure()) {
            exchange.respondAndClose(malformed(request.decoderResult().cause()));
            return;
        }
        if (request.protocolVersion().majorVersion() != 1) {
            exchange.respondAndClose(Responses.text(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "HTTP version not supported: expected HTTP/1.x, found " + request.protocolVersion()));
            return;
        }
        if (!hasValidHost(request)) {
            exchange.respondAndClose(Responses.text(HttpResponseStatus.BAD_REQUEST,
                    "Bad request: expected one valid Host header"));
            return;
        }
        RequestTarget target = RequestTarget.parse(request.uri(), rules.folderPattern());
        if (target.route() == RequestTarget.Route.BAD_REQUEST) {
            exchange.respondAndClose(Responses.text(HttpResponseStatus.BAD_REQUEST, "Bad request"));
            return;
        }
        if (target.route() == RequestTarget.Route.NOT_FOUND) {
            exchange.respond(Responses.text(HttpResponseStatus.NOT_FOUND, Responses.NOT_FOUND_TEXT));
            return;
        }
        HttpMethod method = request.method();
        // A form's POST asks for an archive as a GET does: it reads, never changes, anything.
        boolean posted = method.equals(HttpMethod.POST) && target.route() == RequestTarget.Route.ARCHIVE;
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD) && !posted) {
            FullHttpResponse response = Responses.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed");
            response.headers().set(HttpHeaderNames.ALLOW,
                    target.route() == RequestTarget.Route.ARCHIVE ? "GET, HEAD, POST" : "GET, HEAD");
            exchange.respondAndClose(response);
            return;
        }
        if (!endpoints.serves(target.route())) {
            exchange.respond(Responses.text(HttpResponseStatus.NOT_FOUND, Responses.NOT_FOUND_TEXT));
            return;
        }
        switch (target.route()) {
            case INDEX -> index.respond(exchange);
            case METRICS -> metrics.render().whenComplete((text, error) -> exchange.ctx().executor().execute(() ->
                    exchange.respond(error == null
                            ? Responses.withBody(HttpResponseStatus.OK, METRICS_CONTENT_TYPE, text)
                            : Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Metrics failed"))));
            case HEALTH -> exchange.respondUncounted(drain.isDraining() // a 503 while draining refuses nothing
                    ? Responses.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "draining")
                    : Responses.text(HttpResponseStatus.OK, "ok"));
            case ARCHIVE_WITHOUT_SLASH -> exchange.respond(Responses.redirect(rawPath(request.uri()) + "/"));
            case ARCHIVE -> archives.serve(exchange, target.folder());
            default -> throw new IllegalStateException("route " + target.route() + " was handled before");
        }
    }

    private FullHttpResponse malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return Responses.text(HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "Request line too long: at most " + rules.maxUrlLength() + " bytes (a long selection of files goes"
                            + " in a form's POST)");
        }
        if (cause instanceof TooLongHttpContentException) {
            return Responses.text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "Form too large: at most " + rules.maxFormSize() + " bytes");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return Responses.text(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "Request headers too large: at most " + rules.maxHeaderSize() + " bytes");
        }
        return Responses.text(HttpResponseStatus.BAD_REQUEST, "Bad request");
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
}
