package dev.downloadservice.source;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CRC-32 of file versions, computed once on the I/O executor and kept in a bounded
 * cache. Two downloads that want the same file at once share one computation.
 */
public final class ChecksumCache {

    private static final Logger log = LoggerFactory.getLogger(ChecksumCache.class);
    private static final int READ_BUFFER = 256 * 1024;

    private final Cache<FileIdentity, Integer> results;
    /** Computations under way, so that downloads asking for the same file at once share one read. */
    private final ConcurrentMap<FileIdentity, CompletableFuture<Integer>> inFlight = new ConcurrentHashMap<>();
    private final LocalFolders folders;
    private final Executor io;
    /** Direct buffers let CRC32 use its intrinsic; one per I/O thread, reused. */
    private final ThreadLocal<ByteBuffer> buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(READ_BUFFER));
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();

    /**
     * @param io where whole files are read; its own pool, so that long reads of big files
     *           never hold up listings and small-file reads
     */
    public ChecksumCache(LocalFolders folders, long maximumEntries, Executor io) {
        this.folders = folders;
        this.results = Caffeine.newBuilder().maximumSize(maximumEntries).executor(Runnable::run).build();
        this.io = io;
    }

    /** The CRC-32 of the listed version of the file; fails with {@link FileChangedException} if it changed. */
    public CompletableFuture<Integer> crc32(SourceFile file) {
        FileIdentity identity = file.identity();
        Integer cached = results.getIfPresent(identity);
        if (cached != null) {
            hits.increment();
            return CompletableFuture.completedFuture(cached);
        }
        CompletableFuture<Integer> computation = new CompletableFuture<>();
        CompletableFuture<Integer> running = inFlight.putIfAbsent(identity, computation);
        if (running != null) {
            hits.increment();
            return running;
        }
        misses.increment();
        try {
            io.execute(() -> {
                // Out of inFlight before completing, so whoever sees the result and asks again sees the cache.
                try {
                    int crc = compute(file);
                    // Only a CRC of the listed version is kept: a failure (the file changed) is not cached.
                    results.put(identity, crc);
                    inFlight.remove(identity, computation);
                    computation.complete(crc);
                } catch (Throwable e) {
                    // Even an Error must complete the future: every download of this file waits on it.
                    inFlight.remove(identity, computation);
                    computation.completeExceptionally(e);
                    if (e instanceof Error error) {
                        throw error;
                    }
                }
            });
        } catch (RuntimeException rejected) {
            inFlight.remove(identity, computation);
            computation.completeExceptionally(rejected);
        }
        return computation;
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    public long bytesRead() {
        return bytesRead.sum();
    }

    private int compute(SourceFile file) {
        CRC32 crc = new CRC32();
        ByteBuffer buffer = buffers.get();
        long total = 0;
        try (FileOpener opener = folders.opener(); FileChannel channel = opener.openToRead(file)) {
            while (total < file.size()) {
                buffer.clear();
                int n = channel.read(buffer, total);
                if (n < 0) {
                    break;
                }
                buffer.flip();
                crc.update(buffer);
                total += n;
            }
            bytesRead.add(total);
            // A file written while it was read has a new mtime (or size): the CRC would be of neither version.
            opener.checkStillUnchanged(file, channel);
            if (total != file.size()) {
                throw new FileChangedException(file.name() + " changed: expected " + file.size()
                        + " bytes, read " + total);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        log.debug("crc32 {} = {} ({} bytes; cache hits {}, misses {})",
                file.name(), Integer.toHexString((int) crc.getValue()), total, hits.sum(), misses.sum());
        return (int) crc.getValue();
    }
}
