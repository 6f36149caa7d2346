package dev.downloadservice.archive;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.downloadservice.source.Folders;
import dev.downloadservice.source.Listing;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists a folder and plans its archive, keeping the prepared archive of recently served
 * folders so that downloads of a folder whose listing has not changed share one plan.
 * Every download still lists its folder (the listing is what proves nothing changed);
 * what is shared is what follows from it: the plan, the ETag, and the memory they take.
 * A popular gallery downloaded by hundreds at once then holds one plan, not hundreds (300
 * slow downloads of a 10,000-file folder ran a 512 MiB heap out of memory before this),
 * and a repeated download skips planning.
 */
public final class PreparedArchives {

    private static final Logger log = LoggerFactory.getLogger(PreparedArchives.class);

    private final Folders folders;
    private final Executor planning;
    private final EntryNaming naming;
    private final Cache<String, Known> recent;

    /**
     * @param planning   where a listing is planned: an object store completes its listing on the SDK's threads
     * @param maxEntries most archive entries kept in all; a larger folder is prepared every time
     * @param naming     how files are named in the archives: one rule for the process, so not part of the key
     */
    public PreparedArchives(Folders folders, Executor planning, long maxEntries, EntryNaming naming) {
        this.folders = folders;
        this.planning = planning;
        this.naming = naming;
        this.recent = Caffeine.newBuilder()
                .maximumWeight(maxEntries)
                .weigher((String folder, Known known) -> known.listed().files().size() + 1)
                .executor(Runnable::run)
                .build();
    }

    /**
     * Lists the folder (on the source's threads) and plans its archive; empty if there is no
     * such folder. Cancelling the future abandons the listing.
     */
    public CompletableFuture<Optional<PreparedArchive>> prepare(String folder) {
        long start = System.nanoTime();
        CompletableFuture<Optional<Listing>> listing = folders.list(folder);
        CompletableFuture<Optional<PreparedArchive>> prepared = listing.thenApplyAsync(found -> plan(folder, found, start),
                planning);
        prepared.whenComplete((ignored, error) -> {
            if (prepared.isCancelled()) {
                listing.cancel(/* mayInterruptIfRunning= */ false);
            }
        });
        return prepared;
    }

    private Optional<PreparedArchive> plan(String folder, Optional<Listing> listing, long start) {
        long listed = System.nanoTime();
        Optional<PreparedArchive> prepared = listing.map(this::of);
        if (log.isDebugEnabled() && listing.isPresent()) {
            log.debug("{}: listed {} entries in {} us, planned in {} us", folder, listing.get().files().size(),
                    (listed - start) / 1000, (System.nanoTime() - listed) / 1000);
        }
        return prepared;
    }

    /** The archive for a fresh listing: the one prepared before if the listing is the same, else a new one. */
    PreparedArchive of(Listing listing) {
        Known known = recent.getIfPresent(listing.folder());
        if (known != null && known.listed().equals(listing)) {
            return known.archive();
        }
        PreparedArchive fresh = PreparedArchive.of(listing, naming);
        recent.put(listing.folder(), new Known(listing, fresh));
        return fresh;
    }

    /**
     * An archive prepared before, and the listing it was prepared from: renamed entries may have put the
     * archive's own listing in another order.
     */
    private record Known(Listing listed, PreparedArchive archive) {
    }
}
