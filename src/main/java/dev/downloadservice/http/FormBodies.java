package dev.downloadservice.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpContentException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads the body of a POST (a form: which files, what name) and passes the request on whole, as a
 * {@link Posted}; any other request goes on as it came, and its body, if it has one, is dropped further on.
 * The service streams what it sends, but what it is sent is small: a form is read whole before it is answered,
 * and at most the limit of it. A form over the limit is passed on as a request whose decoding failed with
 * {@link TooLongHttpContentException} (a 413 from the {@link Router}), and the rest of it is dropped. A body
 * must arrive within the deadline of the request head (the idle timeout): the {@link Connection} sees the
 * request only when it is whole. The rest of a refused form is read and dropped, up to twice the limit, so that a
 * client that sends it all before it reads an answer (a browser does) gets the 413 rather than a reset; one that
 * sends more is cut off.
 */
final class FormBodies extends ChannelDuplexHandler {

    /** A POST with its body, decoded as UTF-8 text. Not reference-counted: the body was copied out of Netty's buffers. */
    static final class Posted extends DefaultHttpRequest {

        private final String body;

        private Posted(HttpRequest head, String body) {
            super(head.protocolVersion(), head.method(), head.uri(), head.headers());
            this.body = body;
        }

        String body() {
            return body;
        }
    }

    /** Where the connection is in the requests it reads. */
    private enum State {
        /** Between requests, or in the body of one that is not a POST. */
        PASSING,
        /** In the body of a POST, within the limit so far. */
        COLLECTING,
        /** In the body of a POST that went over the limit, refused already: read, dropped and counted. */
        DROPPING
    }

    private final int limit;
    private State state = State.PASSING;
    /** The POST being read, while COLLECTING. */
    private HttpRequest head;
    private ByteArrayOutputStream body;
    /** Bytes of a refused form dropped so far, while DROPPING. */
    private long dropped;
    /** Requests passed on that have not had the end of their answer written: a 100 Continue must not cut into one. */
    private long unanswered;

    /** @param limit most bytes of a form */
    FormBodies(int limit) {
        this.limit = limit;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        if (message instanceof HttpRequest request) {
            if (request.decoderResult().isSuccess() && request.method().equals(HttpMethod.POST)) {
                begin(ctx, request);
            } else {
                pass(ctx, request);
            }
        } else if (message instanceof HttpContent content && state != State.PASSING) {
            try {
                if (state == State.COLLECTING) {
                    collect(ctx, content);
                } else {
                    drop(ctx, content);
                }
            } finally {
                content.release();
            }
        } else {
            ctx.fireChannelRead(message);
        }
    }

    private void begin(ChannelHandlerContext ctx, HttpRequest request) {
        if (HttpUtil.getContentLength(request, -1L) > limit) {
            refuse(ctx, request); // before a byte of it: a client that waits for 100 Continue sends none
            return;
        }
        head = request;
        body = new ByteArrayOutputStream();
        state = State.COLLECTING;
        if (HttpUtil.is100ContinueExpected(request) && unanswered == 0) {
            // curl asks before it sends a larger body, and waits a second for the answer if it gets none.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
    }

    private void collect(ChannelHandlerContext ctx, HttpContent content) {
        HttpRequest request = head;
        if (content.decoderResult().isFailure()) { // a malformed chunk: the request is answered 400
            request.setDecoderResult(content.decoderResult());
            pass(ctx, request);
            return;
        }
        if (body.size() + (long) content.content().readableBytes() > limit) {
            refuse(ctx, request);
            if (content instanceof LastHttpContent) {
                state = State.PASSING; // nothing of it is left to drop
            }
            return;
        }
        body.writeBytes(ByteBufUtil.getBytes(content.content()));
        if (content instanceof LastHttpContent) {
            pass(ctx, new Posted(request, body.toString(StandardCharsets.UTF_8)));
        }
    }

    private void drop(ChannelHandlerContext ctx, HttpContent content) {
        dropped += content.content().readableBytes();
        if (content instanceof LastHttpContent) {
            state = State.PASSING;
        } else if (dropped > 2L * limit) {
            ctx.close(); // far more than a form: not worth reading on
        }
    }

    private void refuse(ChannelHandlerContext ctx, HttpRequest request) {
        DefaultHttpRequest refused = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                request.headers());
        refused.setDecoderResult(DecoderResult.failure(
                new TooLongHttpContentException("a form of more than " + limit + " bytes")));
        pass(ctx, refused);
        state = State.DROPPING;
        dropped = 0;
    }

    /** Passes a request on, the POST being read (if any) done with. */
    private void pass(ChannelHandlerContext ctx, HttpRequest request) {
        head = null;
        body = null;
        state = State.PASSING;
        unanswered++;
        ctx.fireChannelRead(request);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
        if (message instanceof LastHttpContent) { // a whole response, or the end of one
            unanswered--;
        }
        ctx.write(message, promise);
    }
}
