package dev.downloadservice.http;

import dev.downloadservice.config.Config;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.Folders;
import io.netty.channel.group.ChannelGroup;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * What the handlers of all connections share.
 *
 * @param io          the bounded executor for everything that touches the file system
 * @param scrape      the metrics in Prometheus text format
 * @param connections the open connections of the archive port, for draining
 * @param draining    set once the server stops: no keep-alive, /healthz says 503
 */
record ServerContext(Folders folders, ChecksumCache checksums, PreparedArchives archives, Executor io,
                     Pattern folderPattern, Duration delay, Duration idleTimeout, Duration sendTimeout,
                     DownloadMetrics metrics, AccessLog accessLog, ClientAddresses clients, DownloadSlots slots,
                     Config.Limits limits,
                     Supplier<String> scrape, ChannelGroup connections, AtomicBoolean draining) {
}
