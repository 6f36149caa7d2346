package dev.downloadservice.http;

import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.zip.ArchivePlan;
import dev.downloadservice.zip.ArchivePlan.Kind;
import dev.downloadservice.zip.ArchivePlan.Slice;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where each header of one body's range gets its entry's CRC-32: a small entry wholly inside
 * the range from the very bytes read to send it; a large one wholly inside it, where the cache
 * does not know it, from the bytes the source reads to send it if the source can hold them
 * until the header is sent (an object store that keeps no checksum: the object is then read
 * once, not twice); any other from the cache. Each is asked for as its header is planned and
 * a few entries ahead (so that reading them overlaps sending, and warms the page cache for the
 * send); a large body the source may hold later is not given to the cache ahead of its header.
 * Planning runs on the event loop; only {@link #computed} is shared with the tasks, and a task
 * that reads a computed CRC runs after the one that wrote it.
 */
final class EntryCrcs {

    /** How many entries ahead of the one being sent to have their CRC-32 computed. */
    static final int PREFETCH = 4;

    private final ArchivePlan plan;
    private final List<SourceFile> files;
    private final long start;
    private final long end;
    private final int smallFile;
    private final ChecksumCache checksums;
    private final Reads reads;
    /** CRC-32s computed from the bytes read to send them; a task writes them, a later one reads them. */
    private final int[] computed;
    /** CRC-32s not from their bodies in a batch, requested as their headers are planned (and a few ahead). */
    private final Map<Integer, CompletableFuture<Integer>> cached = new HashMap<>();

    /** @param smallFile bodies up to this size are read into batches, so their CRC can come from their bytes */
    EntryCrcs(ArchivePlan plan, List<SourceFile> files, ByteRange.Part range, int smallFile, ChecksumCache checksums,
              Reads reads) {
        this.plan = plan;
        this.files = files;
        this.start = range.start();
        this.end = range.end();
        this.smallFile = smallFile;
        this.checksums = checksums;
        this.reads = reads;
        this.computed = new int[plan.entryCount()];
    }

    /** Whether the slice is a whole local header of a small entry whose whole body is in the range too. */
    boolean fromBody(Slice slice) {
        return slice.part().kind() == Kind.LOCAL_HEADER && slice.skip() == 0
                && slice.length() == slice.part().length() && fromBody(slice.part().entry());
    }

    /** A small entry wholly inside the range gets its CRC-32 from the bytes read to send it. */
    private boolean fromBody(int entry) {
        long size = plan.entries().get(entry).size();
        return size > 0 && size <= smallFile && wholeInRange(entry);
    }

    /** A large entry wholly inside the range is read whole, in order: its source may hold it for its CRC-32. */
    private boolean mayBeHeld(int entry) {
        return plan.entries().get(entry).size() > smallFile && wholeInRange(entry) && reads.holdsWholeBodies();
    }

    /** Whether the entry's local header and body are both inside the range. */
    private boolean wholeInRange(int entry) {
        long headerOffset = plan.localHeaderOffset(entry);
        return headerOffset >= start && headerOffset + plan.localHeaderLength(entry) + plan.entries().get(entry).size() <= end;
    }

    /** Whether the slice is a header whose CRC comes from the cache (not from its body, and not 0 for no data). */
    private boolean fromCache(Slice slice) {
        Kind kind = slice.part().kind();
        int entry = slice.part().entry();
        return (kind == Kind.LOCAL_HEADER || kind == Kind.CENTRAL_HEADER) && plan.needsCrc(entry) && !fromBody(entry);
    }

    /** Whether the slice's header needs a CRC from the cache that is not in hand yet. */
    boolean needsUnknown(Slice slice) {
        if (!fromCache(slice)) {
            return false;
        }
        CompletableFuture<Integer> requested = cached.get(slice.part().entry());
        return requested == null || !requested.isDone();
    }

    /** The cache's CRC for a header slice that needs one not computed from its body; else null. */
    CompletableFuture<Integer> requestFromCache(Slice slice) {
        if (!fromCache(slice)) {
            return null;
        }
        int entry = slice.part().entry();
        CompletableFuture<Integer> crc = request(entry);
        if (slice.part().kind() == Kind.CENTRAL_HEADER) {
            cached.remove(entry); // its last use
        }
        return crc;
    }

    /** Whether the slice is a central header whose CRC a task still under way computes from the entry's body. */
    boolean computedByEarlierTask(Slice slice) {
        return slice.part().kind() == Kind.CENTRAL_HEADER && plan.needsCrc(slice.part().entry()) && !fromCache(slice);
    }

    /** At its header: the CRC-32 asked for ahead, or now, by the cache if the source will not hold the body. */
    private CompletableFuture<Integer> request(int entry) {
        CompletableFuture<Integer> crc = cached.get(entry);
        if (crc == null) {
            crc = ahead(entry);
            if (crc == null) {
                crc = checksums.crc32(files.get(entry));
            }
            cached.put(entry, crc);
        }
        return crc;
    }

    /**
     * Ahead of its header: the cache's CRC-32 if it knows it; else, for a body the source may
     * hold, the source's from its bytes, or null if not now (asked again later); else the cache's.
     */
    private CompletableFuture<Integer> ahead(int entry) {
        SourceFile file = files.get(entry);
        Optional<CompletableFuture<Integer>> known = checksums.known(file);
        if (known.isPresent()) {
            return known.get();
        }
        if (!mayBeHeld(entry)) {
            return checksums.crc32(file);
        }
        return reads.crc32OfWholeBody(file)
                .map(crc -> crc.whenComplete((value, error) -> {
                    if (error == null) {
                        checksums.remember(file, value);
                    }
                }))
                .orElse(null);
    }

    /** Starts the CRC-32 of the next few entries whose headers lie in the range. */
    void prefetch(Slice slice) {
        int entry = slice.part().entry();
        if (entry < 0) {
            return;
        }
        boolean central = slice.part().kind() == Kind.CENTRAL_HEADER;
        for (int next = entry + 1; next <= entry + PREFETCH && next < plan.entryCount(); next++) {
            long headerOffset = central ? plan.centralHeaderOffset(next) : plan.localHeaderOffset(next);
            if (headerOffset >= end) {
                return;
            }
            if (plan.needsCrc(next) && !fromBody(next) && !cached.containsKey(next)) {
                CompletableFuture<Integer> crc = ahead(next);
                if (crc != null) {
                    cached.put(next, crc);
                }
            }
        }
    }

    /** Records the CRC-32 a task computed from an entry's body, for the entry's central header. */
    void computed(int entry, int crc) {
        computed[entry] = crc;
    }

    /** The CRC-32 computed from an entry's body; 0 for a slice of no entry (the end records). */
    int computed(int entry) {
        return entry < 0 ? 0 : computed[entry];
    }
}
