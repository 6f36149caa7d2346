package dev.downloadservice.http;

import dev.downloadservice.config.Config;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.LocalFolders;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Netty server: binds, serves until closed, shuts its event loops down. */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    private static final long STOP_TIMEOUT_SECONDS = 10;
    /** Entries of recently prepared archives kept for reuse: about 350 bytes each, so some 70 MB. */
    private static final long PREPARED_ENTRIES = 200_000;

    private final EventLoopGroup group;
    private final Channel channel;

    private HttpServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds {@code config.host():config.port()} and starts serving.
     *
     * @param io bounded executor for all file system work; the event loops never touch files
     */
    public static HttpServer start(Config config, LocalFolders folders, ChecksumCache checksums, Executor io)
            throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory ioHandler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        log.info("transport: {}", epoll ? "native epoll" : "NIO (native epoll unavailable: " + Epoll.unavailabilityCause() + ")");

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioHandler);
        try {
            ServerContext context = new ServerContext(folders, checksums, new PreparedArchives(PREPARED_ENTRIES), io,
                    config.hashPattern(), config.delay(), config.idleTimeout());
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(new ServerInitializer(context))
                    .bind(config.host(), config.port())
                    .sync()
                    .channel();
            return new HttpServer(group, channel);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public void awaitClose() throws InterruptedException {
        channel.closeFuture().sync();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        // Bounded: once a stop under load waited forever here with every event loop gone; a stop must stop.
        if (!group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            log.warn("the event loops did not stop within {} s; stopping anyway", STOP_TIMEOUT_SECONDS);
        }
    }
}
