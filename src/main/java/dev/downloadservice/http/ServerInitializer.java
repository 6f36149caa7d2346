package dev.downloadservice.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of a connection: HTTP/1.1 codec, a POST's form read whole, then our handler. Bodies go out as file
 * regions or buffers.
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {

    private final Connection.Settings settings;
    private final Router router;
    private final Endpoints endpoints;

    ServerInitializer(Connection.Settings settings, Router router, Endpoints endpoints) {
        this.settings = settings;
        this.router = router;
        this.endpoints = endpoints;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        if (endpoints.archives()) {
            settings.drain().track(channel);
        }
        ChannelPipeline pipeline = channel.pipeline();
        // The send timeout. Output progress counts as activity: a slow reader is fine, one that takes nothing is
        // not. Between requests the connection's own deadline (the idle timeout) applies instead.
        pipeline.addLast("idle", new IdleStateHandler(/* observeOutput= */ true, 0, 0,
                settings.sendTimeout().toMillis(), TimeUnit.MILLISECONDS));
        pipeline.addLast("http", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(router.rules().maxUrlLength())
                .setMaxHeaderSize(router.rules().maxHeaderSize())));
        pipeline.addLast("forms", new FormBodies(router.rules().maxFormSize()));
        pipeline.addLast("requests", new Connection(settings, endpoints, router));
    }
}
