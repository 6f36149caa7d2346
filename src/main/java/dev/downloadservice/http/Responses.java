package dev.downloadservice.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The small fixed responses: error pages, redirects. None ever carries a stack trace. */
final class Responses {

    static final String NOT_FOUND_TEXT = "Archive does not exist or has been removed";

    private Responses() {
    }

    static FullHttpResponse text(HttpResponseStatus status, String text) {
        return withBody(status, "text/plain; charset=utf-8", text + "\n");
    }

    /** A response without a body (304). */
    static FullHttpResponse empty(HttpResponseStatus status) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
    }

    static FullHttpResponse redirect(String location) {
        FullHttpResponse response = text(HttpResponseStatus.MOVED_PERMANENTLY, "Moved to " + location);
        response.headers().set(HttpHeaderNames.LOCATION, location);
        return response;
    }

    static FullHttpResponse withBody(HttpResponseStatus status, String contentType, String body) {
        return withBody(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    static FullHttpResponse withBody(HttpResponseStatus status, String contentType, byte[] bytes) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set("X-Content-Type-Options", "nosniff");
        return response;
    }
}
