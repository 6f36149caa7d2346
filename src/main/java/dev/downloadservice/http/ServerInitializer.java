package dev.downloadservice.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** The pipeline of a connection: HTTP/1.1 codec, then our handler. Bodies go out as file regions or buffers. */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {

    private final ServerContext server;
    private final Endpoints endpoints;

    ServerInitializer(ServerContext server, Endpoints endpoints) {
        this.server = server;
        this.endpoints = endpoints;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        if (endpoints.archives()) {
            server.connections().add(channel); // removed by the group itself once closed
        }
        ChannelPipeline pipeline = channel.pipeline();
        // The send timeout. Output progress counts as activity: a slow reader is fine, one that takes nothing is
        // not. Between requests the request handler's own deadline (the idle timeout) applies instead.
        pipeline.addLast("idle", new IdleStateHandler(/* observeOutput= */ true, 0, 0,
                server.sendTimeout().toMillis(), TimeUnit.MILLISECONDS));
        pipeline.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(server.limits().maxUrlLength())
                .setMaxHeaderSize(server.limits().maxHeaderSize())));
        pipeline.addLast("requests", new RequestHandler(server, endpoints));
    }
}
