package dev.downloadservice;

import dev.downloadservice.config.Config;
import dev.downloadservice.http.HttpServer;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.LocalFolders;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The running service: the I/O executor, the CRC cache and the HTTP server, wired from a config. */
public final class Service implements AutoCloseable {

    /** Threads that may block on the file system; a few per core, since they mostly wait on the disk. */
    private static final int IO_THREADS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    /** About 100 bytes an entry: a few MiB of heap for the CRCs of a large site. */
    private static final long CRC_CACHE_ENTRIES = 100_000;

    private final ExecutorService io;
    private final ChecksumCache checksums;
    private final HttpServer server;

    private Service(ExecutorService io, ChecksumCache checksums, HttpServer server) {
        this.io = io;
        this.checksums = checksums;
        this.server = server;
    }

    public static Service start(Config config) throws IOException, InterruptedException {
        ExecutorService io = Executors.newFixedThreadPool(IO_THREADS, new DefaultThreadFactory("io", /* daemon= */ true));
        try {
            LocalFolders folders = new LocalFolders(config.path(), config.includeHidden());
            ChecksumCache checksums = new ChecksumCache(CRC_CACHE_ENTRIES, io);
            return new Service(io, checksums, HttpServer.start(config, folders, checksums, io));
        } catch (IOException | InterruptedException | RuntimeException e) {
            io.shutdownNow();
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    public ChecksumCache checksums() {
        return checksums;
    }

    public void awaitClose() throws InterruptedException {
        server.awaitClose();
    }

    @Override
    public void close() throws InterruptedException {
        server.close();
        io.shutdownNow();
        io.awaitTermination(5, TimeUnit.SECONDS);
    }
}
