package dev.downloadservice.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.downloadservice.source.Listing;

/**
 * The prepared archive of recently served folders, so that downloads of a folder whose
 * listing has not changed share one plan. Every download still lists its folder (the
 * listing is what proves nothing changed); what is shared is what follows from it: the
 * plan, the ETag, and the memory they take. A popular gallery downloaded by hundreds at
 * once then holds one plan, not hundreds (300 slow downloads of a 10,000-file folder
 * ran a 512 MiB heap out of memory before this), and a repeated download skips planning.
 */
final class PreparedArchives {

    private final Cache<String, PreparedArchive> recent;

    /** @param maxEntries most archive entries kept in all; a larger folder is prepared every time */
    PreparedArchives(long maxEntries) {
        this.recent = Caffeine.newBuilder()
                .maximumWeight(maxEntries)
                .weigher((String folder, PreparedArchive archive) -> archive.listing().files().size() + 1)
                .executor(Runnable::run)
                .build();
    }

    /** The archive for a fresh listing: the one prepared before if the listing is the same, else a new one. */
    PreparedArchive of(Listing listing) {
        PreparedArchive known = recent.getIfPresent(listing.folder());
        if (known != null && known.listing().equals(listing)) {
            return known;
        }
        PreparedArchive fresh = PreparedArchive.of(listing);
        recent.put(listing.folder(), fresh);
        return fresh;
    }
}
