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
 * Lists a folder and plans the archive of it or of a selection of its files, keeping the prepared
 * archive of recently served folders and selections so that downloads of an unchanged one share one plan.
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
    private final Cache<Key, Known> recent;

    /** What a prepared archive is kept by: a folder and what of it was chosen. */
    private record Key(String folder, Selection selection) {
    }

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
                .weigher((Key key, Known known) -> known.listed().files().size() + 1)
                .executor(Runnable::run)
                .build();
    }

    /**
     * Lists the folder (on the source's threads) and plans the archive of the selection of it; empty if
     * there is no such folder, failed with {@link NotInFolderException} if the selection names a path that
     * is not one of its files. Cancelling the future abandons the listing.
     */
    public CompletableFuture<Optional<PreparedArchive>> prepare(String folder, Selection selection) {
        long start = System.nanoTime();
        CompletableFuture<Optional<Listing>> listing = folders.list(folder);
        CompletableFuture<Optional<PreparedArchive>> prepared = listing.thenApplyAsync(
                found -> plan(folder, found.map(selection::chosenFrom), selection, start), planning);
        prepared.whenComplete((ignored, error) -> {
            if (prepared.isCancelled()) {
                listing.cancel(/* mayInterruptIfRunning= */ false);
            }
        });
        return prepared;
    }

    private Optional<PreparedArchive> plan(String folder, Optional<Listing> listing, Selection selection, long start) {
        long listed = System.nanoTime();
        Optional<PreparedArchive> prepared = listing.map(chosen -> of(chosen, selection));
        if (log.isDebugEnabled() && listing.isPresent()) {
            log.debug("{}: listed {} entries in {} us, planned in {} us", folder, listing.get().files().size(),
                    (listed - start) / 1000, (System.nanoTime() - listed) / 1000);
        }
        return prepared;
    }

    /** The archive of the whole folder of a fresh listing. */
    PreparedArchive of(Listing listing) {
        return of(listing, Selection.WHOLE_FOLDER);
    }

    /**
     * The archive for a fresh listing of what was chosen: the one prepared before if it is the same, else a
     * new one. A change to a file outside a selection leaves the selection's archive as it was.
     */
    private PreparedArchive of(Listing chosen, Selection selection) {
        Key key = new Key(chosen.folder(), selection);
        Known known = recent.getIfPresent(key);
        if (known != null && known.listed().equals(chosen)) {
            return known.archive();
        }
        PreparedArchive fresh = PreparedArchive.of(chosen, naming);
        recent.put(key, new Known(chosen, fresh));
        return fresh;
    }

    /**
     * An archive prepared before, and the listing it was prepared from: renamed entries may have put the
     * archive's own listing in another order.
     */
    private record Known(Listing listed, PreparedArchive archive) {
    }
}
