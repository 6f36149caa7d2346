package dev.downloadservice.http;

import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.LocalFolders;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * What the handlers of all connections share.
 *
 * @param io the bounded executor for everything that touches the file system
 */
record ServerContext(LocalFolders folders, ChecksumCache checksums, PreparedArchives archives, Executor io,
                     Pattern folderPattern, Duration delay, Duration idleTimeout) {
}
