package dev.downloadservice.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The service's settings, checked once at start-up. They come in groups by who reads them, so that each
 * reader takes one small record rather than picking from a long list.
 *
 * @param archives what is served: the folders, the links that name them, what goes in, how fast
 * @param listen   where the service listens
 * @param timeouts how long a connection, a download and the shutdown may take
 * @param logging  what is logged, and how
 * @param limits   how much the service takes on at once
 * @param forms    what a POST's form may hold
 * @param links    whether links to archives must be signed, and with what
 * @param archiveLimits the largest archive served
 */
public record Config(Archives archives, Listen listen, Timeouts timeouts, Logging logging, Limits limits,
                     Forms forms, Links links, ArchiveLimits archiveLimits) {

    /** The same port as the archives. */
    public static final int SAME_PORT = -1;

    public boolean separateAdminPort() {
        return listen.adminPort() != SAME_PORT;
    }

    /**
     * @param root          where the folders are; each archive is one folder directly below it
     * @param hashPattern   what a folder name in a link must match, in full
     * @param includeHidden whether names starting with '.' go into archives
     * @param entryNames    how files are named in the archives
     * @param delay         pause between chunks of a download (throttling demo); zero for none
     */
    public record Archives(Root root, Pattern hashPattern, boolean includeHidden, EntryNames entryNames,
                           Duration delay) {
    }

    /**
     * @param host      address to listen on
     * @param port      port to listen on; 0 picks a free one
     * @param adminPort port for /metrics and /healthz alone; {@link #SAME_PORT} to serve them on {@code port}
     * @param reusePort whether another process of the same user may listen on the same ports (SO_REUSEPORT)
     */
    public record Listen(String host, int port, int adminPort, boolean reusePort) {
    }

    /**
     * @param idle     a connection without a request for this long (keep-alive), or whose request head takes
     *                 longer to arrive, is closed
     * @param send     a download whose client takes no byte for this long is dropped
     * @param shutdown how long running downloads may go on after SIGTERM before they are cut
     */
    public record Timeouts(Duration idle, Duration send, Duration shutdown) {
    }

    /**
     * @param debug          debug logging
     * @param format         the access log's line format
     * @param trustedProxies addresses or CIDR blocks of proxies whose X-Forwarded-For / X-Real-IP name the client
     * @param accessLog      the access log's file; empty for standard output
     */
    public record Logging(boolean debug, LogFormat format, List<String> trustedProxies, Optional<Path> accessLog) {
        public Logging {
            trustedProxies = List.copyOf(trustedProxies);
        }
    }

    /**
     * @param maxDownloads          downloads under way at once; more get 503 with Retry-After
     * @param maxDownloadsPerClient the same for one client (as the access log names it)
     * @param maxUrlLength          longest request line; longer gets 414
     * @param maxHeaderSize         most bytes of request headers; more gets 431
     * @param bytesPerSecond        most bytes per second for one download; 0 for no limit
     */
    public record Limits(int maxDownloads, int maxDownloadsPerClient, int maxUrlLength, int maxHeaderSize,
                         long bytesPerSecond) {
    }

    /** @param maxFormSize most bytes of a POST's form (a selection of files); more gets 413 */
    public record Forms(int maxFormSize) {
    }

    /** Whether a link to an archive must carry {@code expires} and a signature. */
    public sealed interface Links {
    }

    /** Any link to a folder is served, as before signed links. */
    public record UnsignedLinks() implements Links {
    }

    /**
     * @param secret what signatures are made with; never logged
     * @param grace  how long after a link's expiry a download begun in time may still be resumed
     */
    public record SignedLinks(String secret, Duration grace) implements Links {
        @Override
        public String toString() {
            return "SignedLinks[secret hidden, grace=" + grace + "]";
        }
    }

    /**
     * Archives over either limit are refused (413) before a byte of them.
     *
     * @param maxBytes   the longest archive, in bytes; empty for no limit
     * @param maxEntries the most entries (files and folders) of an archive; empty for no limit
     */
    public record ArchiveLimits(OptionalLong maxBytes, OptionalInt maxEntries) {
    }

    /** Where the folders are: a local directory, or a key prefix in an S3 bucket. */
    public sealed interface Root {
    }

    /** @param directory the root directory, absolute */
    public record LocalDirectory(Path directory) implements Root {
        @Override
        public String toString() {
            return directory.toString();
        }
    }

    /**
     * Objects {@code s3://bucket/prefix<hash>/...}. Credentials come from the AWS SDK's
     * default chain (environment, profile, instance role), never from the command line.
     *
     * @param prefix     empty, or ending in '/'
     * @param connection how to reach the store
     */
    public record ObjectStore(String bucket, String prefix, S3Connection connection) implements Root {
        @Override
        public String toString() {
            return "s3://" + bucket + "/" + prefix + connection.endpoint().map(e -> " at " + e).orElse("");
        }
    }

    /**
     * @param endpoint  an S3-compatible store's address (MinIO, Ceph); empty for AWS
     * @param region    the region; empty for the SDK's default chain
     * @param pathStyle address the bucket in the path, not the host name (most stores but AWS want it)
     * @param timeout   how long the store may send nothing while an answer or a byte is awaited
     */
    public record S3Connection(Optional<URI> endpoint, Optional<String> region, boolean pathStyle,
                               Duration timeout) {
    }

    /** How files are named in the archives: made to extract everywhere, or as in the folder. */
    public enum EntryNames { PORTABLE, ORIGINAL }

    /** The access log's format: nginx's "combined", or one JSON object per line. */
    public enum LogFormat { COMBINED, JSON }
}
