package dev.downloadservice;

import dev.downloadservice.config.Config;
import dev.downloadservice.http.DownloadMetrics;
import dev.downloadservice.http.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.Folders;
import dev.downloadservice.source.ListedNames;
import dev.downloadservice.source.local.LocalFolders;
import dev.downloadservice.source.s3.ObjectFolders;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** The running service: the I/O executor, the CRC cache and the HTTP server, wired from a config. */
public final class Service implements AutoCloseable {

    /** Threads that may block on the file system; a few per core, since they mostly wait on the disk. */
    private static final int IO_THREADS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    /** Threads that read whole files for their CRC-32: apart, so big files never hold up listings and small reads. */
    private static final int CRC_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
    /** About 100 bytes an entry: a few MiB of heap for the CRCs of a large site. */
    private static final long CRC_CACHE_ENTRIES = 100_000;

    private final ExecutorService io;
    private final ExecutorService crcIo;
    private final Folders folders;
    private final ChecksumCache checksums;
    private final HttpServer server;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();

    private Service(ExecutorService io, ExecutorService crcIo, Folders folders, ChecksumCache checksums,
                    HttpServer server) {
        this.io = io;
        this.crcIo = crcIo;
        this.folders = folders;
        this.checksums = checksums;
        this.server = server;
    }

    public static Service start(Config config) throws IOException, InterruptedException {
        ExecutorService io = fixedPool("io", IO_THREADS);
        ExecutorService crcIo = fixedPool("crc", CRC_THREADS);
        Folders folders = null;
        try {
            folders = folders(config, io, crcIo);
            ChecksumCache checksums = new ChecksumCache(folders, CRC_CACHE_ENTRIES);
            PrometheusMeterRegistry registry = Metrics.registry(checksums, folders);
            HttpServer server = HttpServer.start(config, new HttpServer.Backend(folders, checksums, io),
                    new DownloadMetrics(registry), registry::scrape);
            return new Service(io, crcIo, folders, checksums, server);
        } catch (IOException | InterruptedException | RuntimeException e) {
            io.shutdownNow();
            crcIo.shutdownNow();
            if (folders != null) {
                folders.close();
            }
            throw e;
        }
    }

    /** The one place that knows the concrete sources: the root in the config chooses one. */
    private static Folders folders(Config config, ExecutorService io, ExecutorService crcIo) throws IOException {
        Config.Archives archives = config.archives();
        // Portable names map a backslash and a control character to '_': only then may such names be listed.
        ListedNames listed = new ListedNames(archives.includeHidden(),
                /* backslashOrControl= */ archives.entryNames() == Config.EntryNames.PORTABLE);
        if (archives.root() instanceof Config.ObjectStore store) {
            ObjectFolders folders = ObjectFolders.connect(store, listed, io);
            folders.checkReachable();
            return folders;
        }
        if (archives.root() instanceof Config.LocalDirectory local) {
            return new LocalFolders(local.directory(), listed, io, crcIo);
        }
        throw new IllegalArgumentException("expected a local directory or an object store, found " + archives.root());
    }

    /** Threads started at once, not on first use: the process's thread count is then flat from the start. */
    private static ExecutorService fixedPool(String name, int threads) {
        ThreadPoolExecutor pool = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads,
                new DefaultThreadFactory(name, /* daemon= */ true));
        pool.prestartAllCoreThreads();
        return pool;
    }

    public int port() {
        return server.port();
    }

    public ChecksumCache checksums() {
        return checksums;
    }

    public int adminPort() {
        return server.adminPort();
    }

    /** Returns once the service has stopped (see {@link #close}). */
    public void awaitClose() throws InterruptedException {
        stopped.await();
    }

    /** Drains (see {@link HttpServer#close}), then stops the pools; a second call waits for the first. */
    @Override
    public void close() throws InterruptedException, IOException {
        if (!stopping.compareAndSet(false, true)) {
            stopped.await();
            return;
        }
        try {
            // The event loops first: no new work is handed to the pools after they stop.
            server.close();
            io.shutdown();
            crcIo.shutdown();
            io.awaitTermination(5, TimeUnit.SECONDS);
            crcIo.awaitTermination(5, TimeUnit.SECONDS);
            folders.close();
        } finally {
            stopped.countDown();
        }
    }
}
