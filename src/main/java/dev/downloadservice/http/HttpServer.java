package dev.downloadservice.http;

import dev.downloadservice.archive.EntryNaming;
import dev.downloadservice.archive.PreparedArchives;
import dev.downloadservice.config.Config;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.Folders;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty server: binds the archive port (and the admin port, if apart), serves until
 * closed; closing drains: it stops accepting, lets running downloads finish for the
 * shutdown timeout, then closes what is left and stops the event loops.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    private static final long STOP_TIMEOUT_SECONDS = 10;
    private static final Path MIGRATE_REQUESTS = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");
    /** Entries of recently prepared archives kept for reuse: about 350 bytes each, so some 70 MB. */
    private static final long PREPARED_ENTRIES = 200_000;

    /**
     * What the server serves from.
     *
     * @param io bounded executor for all file system work; the event loops never touch files
     */
    public record Backend(Folders folders, ChecksumCache checksums, Executor io) {
    }

    private final EventLoopGroup group;
    private final Channel channel;
    private final Channel adminChannel;
    private final Drain drain;
    /** Whether the ports are shared with the process that takes over (SO_REUSEPORT). */
    private final boolean reusePort;

    private HttpServer(EventLoopGroup group, Channel channel, Channel adminChannel, Drain drain, boolean reusePort) {
        this.group = group;
        this.channel = channel;
        this.adminChannel = adminChannel;
        this.drain = drain;
        this.reusePort = reusePort;
    }

    /**
     * Binds {@code config.listen().host():config.listen().port()} (and the admin port, if apart) and starts serving.
     *
     * @param metrics where downloads are counted
     * @param scrape  the metrics in Prometheus text format, for {@code /metrics}
     */
    public static HttpServer start(Config config, Backend backend, DownloadMetrics metrics, Supplier<String> scrape)
            throws IOException, InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory ioHandler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        log.info("transport: {}", epoll ? "native epoll" : "NIO (native epoll unavailable: " + Epoll.unavailabilityCause() + ")");

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioHandler);
        try {
            Drain drain = new Drain(config.timeouts().shutdown());
            Connection.Settings settings = new Connection.Settings(config.timeouts().idle(), config.timeouts().send(),
                    new ClientAddresses(config.logging().trustedProxies()),
                    new Exchange.Context(new AccessLog(config.logging().format()), metrics, drain), drain);
            Router router = router(config, backend, drain, scrape, ArchiveGate.of(config, metrics));
            boolean apart = config.separateAdminPort();
            Listener listener = new Listener(group, channelType, reusePort(config.listen().reusePort(), epoll, channelType));
            Channel channel = listener.bind(new InetSocketAddress(config.listen().host(), config.listen().port()),
                    "--port (env PORT)", new ServerInitializer(settings, router, apart ? Endpoints.ARCHIVES : Endpoints.ALL));
            Channel adminChannel = apart
                    ? listener.bind(new InetSocketAddress(config.listen().host(), config.listen().adminPort()),
                            "--admin-port (env ADMIN_PORT)", new ServerInitializer(settings, router, Endpoints.ADMIN))
                    : null;
            FolderCountLog.start(backend.folders(), config.archives().hashPattern());
            return new HttpServer(group, channel, adminChannel, drain, listener.reusePort());
        } catch (IOException | RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * SO_REUSEPORT where asked for and the transport has it. An upgrade relies on the kernel
     * handing the connections the old process had not yet accepted to the new one when the old
     * one closes its listener ({@code net.ipv4.tcp_migrate_req}, Linux 5.14); without that they
     * are reset, so the start says so.
     */
    private static boolean reusePort(boolean asked, boolean epoll, Class<?> transport) throws IOException {
        if (!asked) {
            return false;
        }
        if (!epoll) {
            throw new IOException("--reuse-port (env REUSE_PORT): needs the native epoll transport, and this JVM has "
                    + transport.getSimpleName() + " (" + Epoll.unavailabilityCause() + ")");
        }
        try {
            if (Files.readAllLines(MIGRATE_REQUESTS).get(0).strip().equals("0")) {
                log.warn("--reuse-port without net.ipv4.tcp_migrate_req=1: when this process stops, connections"
                        + " it has not accepted yet are reset instead of handed to the new one; set it with sysctl"
                        + " (docs/deploy.md, upgrades)");
            }
        } catch (IOException | RuntimeException e) {
            log.warn("--reuse-port: cannot read {} ({}): connections not yet accepted may be reset at a stop",
                    MIGRATE_REQUESTS, e.toString());
        }
        return true;
    }

    /** Binds the service's listeners, all alike. */
    private record Listener(EventLoopGroup group, Class<? extends ServerChannel> channelType, boolean reusePort) {

        /**
         * Bytes a connection's socket may hold not yet sent before it takes no more
         * ({@code TCP_NOTSENT_LOWAT}; epoll only). Without it the kernel takes up to
         * {@code tcp_wmem}'s maximum (4 MiB) from any client at once, so a client of 10 kB/s
         * looked fast for its first megabytes ({@link ArchiveBody#FAST_CLIENT_BYTES_PER_SECOND}),
         * got 256 KiB parts, and held them for a minute: 1,000 slow downloads from a store
         * held 270–490 KiB each (docs/benchmarks.md), 77 KiB with small parts throughout.
         */
        static final long UNSENT_LOW_WATER = 256 * 1024;

        /** @param option the option that names the port, for the error an operator reads */
        Channel bind(InetSocketAddress address, String option, ServerInitializer initializer)
                throws IOException, InterruptedException {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(initializer);
            if (reusePort) {
                bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
            }
            if (channelType == EpollServerSocketChannel.class) {
                bootstrap.childOption(EpollChannelOption.TCP_NOTSENT_LOWAT, UNSENT_LOW_WATER);
            }
            ChannelFuture bound = bootstrap.bind(address).await();
            if (!bound.isSuccess()) {
                throw new IOException("cannot listen on " + address.getHostString() + ":" + address.getPort() + " ("
                        + option + "): " + bound.cause().getMessage(), bound.cause());
            }
            return bound.channel();
        }
    }

    /** Files go out by sendfile only where the end of a response can be kept from it (Linux). */
    private static OptionalLong unseenTail() {
        OptionalLong tail = SocketBuffers.unseenTail(ArchiveBody.BATCH);
        if (tail.isEmpty()) {
            log.warn("no socket buffer limits in /proc/sys/net: files go out through memory, not by sendfile");
        } else {
            log.debug("the last {} bytes of every response go through memory", tail.getAsLong());
        }
        return tail;
    }

    private static Router router(Config config, Backend backend, Drain drain, Supplier<String> scrape,
                                 ArchiveGate gate) {
        Config.Limits limits = config.limits();
        // Listings are bounded as downloads are, and counted apart: a HEAD or a 304 lists the folder too.
        PreparedArchives prepared = new PreparedArchives(backend.folders(), backend.io(), PREPARED_ENTRIES,
                EntryNaming.valueOf(config.archives().entryNames().name()));
        ArchiveResponder archives = new ArchiveResponder(prepared,
                new Slots(limits.maxDownloads(), limits.maxDownloadsPerClient()),
                new ArchiveResponder.Downloads(backend.folders(), backend.checksums(),
                        Pacing.of(config.archives().delay(), limits.bytesPerSecond()),
                        new Slots(limits.maxDownloads(), limits.maxDownloadsPerClient()), unseenTail()), gate,
                backend.io());
        return new Router(new Router.Rules(config.archives().hashPattern(), limits.maxUrlLength(), limits.maxHeaderSize(),
                        config.forms().maxFormSize()),
                IndexPage.of(prepared, config.archives().hashPattern(),
                        config.links() instanceof Config.SignedLinks),
                new Router.MetricsPage(scrape, backend.io()), drain, archives);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** The admin port, or the archive port if they are the same. */
    public int adminPort() {
        return adminChannel == null ? port() : ((InetSocketAddress) adminChannel.localAddress()).getPort();
    }

    /**
     * Drains, then stops: no new connections; idle keep-alive connections closed now,
     * busy ones after their response; {@code /healthz} says 503 meanwhile (on the admin
     * port, which stays open until the end, unless it is shared with the process taking over).
     * After the shutdown timeout whatever is still running is cut.
     */
    @Override
    public void close() throws InterruptedException {
        Drain.Counts drained = drain.run(() -> {
            channel.close().syncUninterruptibly();
            if (reusePort && adminChannel != null) {
                // The process taking over answers /healthz and /metrics from now on, not both in turn.
                adminChannel.close().syncUninterruptibly();
            }
        });
        if (adminChannel != null) {
            adminChannel.close().syncUninterruptibly();
        }
        // A cut download is a visitor's to resume: worth a warning, which journalctl -p warning shows.
        if (drained.cut() > 0) {
            log.warn("stopped: {} connections open at the stop, {} cut after the shutdown timeout of {} s",
                    drained.running(), drained.cut(), drain.timeout().toMillis() / 1000.0);
        } else {
            log.info("stopped: {} connections open at the stop, none cut", drained.running());
        }
        // Bounded: once a stop waited forever here with every event loop gone; a stop must stop.
        if (!group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            log.warn("the event loops did not stop within {} s; stopping anyway", STOP_TIMEOUT_SECONDS);
        }
    }
}
