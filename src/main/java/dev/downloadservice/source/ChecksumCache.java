package dev.downloadservice.source;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CRC-32 of file versions, computed once by the source and kept in a bounded cache.
 * Two downloads that want the same file at once share one computation.
 */
public final class ChecksumCache {

    private static final Logger log = LoggerFactory.getLogger(ChecksumCache.class);

    private final Cache<FileIdentity, Integer> results;
    /** Computations under way, so that downloads asking for the same file at once share one read. */
    private final ConcurrentMap<FileIdentity, CompletableFuture<Integer>> inFlight = new ConcurrentHashMap<>();
    private final Folders folders;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    public ChecksumCache(Folders folders, long maximumEntries) {
        this.folders = folders;
        this.results = Caffeine.newBuilder().maximumSize(maximumEntries).executor(Runnable::run).build();
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
        CompletableFuture<Integer> computed;
        try {
            computed = folders.computeCrc32(file);
        } catch (RuntimeException rejected) {
            computed = CompletableFuture.failedFuture(rejected);
        }
        computed.whenComplete((crc, error) -> {
            // Out of inFlight before completing, so whoever sees the result and asks again sees the cache.
            if (error == null) {
                // Only a CRC of the listed version is kept: a failure (the file changed) is not cached.
                results.put(identity, crc);
                log.debug("crc32 {} = {} (cache hits {}, misses {})",
                        EntryNames.printable(file.name()), Integer.toHexString(crc), hits.sum(), misses.sum());
            }
            inFlight.remove(identity, computation);
            if (error == null) {
                computation.complete(crc);
            } else {
                computation.completeExceptionally(error);
            }
        });
        return computation;
    }

    /**
     * The CRC-32 of the listed version if it is cached or being computed (for another
     * download), else empty: a download that reads the file whole anyway may then compute it
     * from those bytes instead ({@link Reads#crc32OfWholeBody}).
     */
    public Optional<CompletableFuture<Integer>> known(SourceFile file) {
        Integer cached = results.getIfPresent(file.identity());
        if (cached != null) {
            hits.increment();
            return Optional.of(CompletableFuture.completedFuture(cached));
        }
        CompletableFuture<Integer> running = inFlight.get(file.identity());
        if (running != null) {
            hits.increment();
        }
        return Optional.ofNullable(running);
    }

    /** Keeps a CRC-32 computed from the listed version's bytes, read to send them. */
    public void remember(SourceFile file, int crc) {
        results.put(file.identity(), crc);
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    /** Bytes the source read to compute CRC-32s. */
    public long bytesRead() {
        return folders.bytesReadForCrc();
    }
}
