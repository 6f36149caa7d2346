package dev.downloadservice.http;

import dev.downloadservice.source.FolderCount;
import dev.downloadservice.source.Folders;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the operator once, at start, how many folders under the root no link can name (--hash-pattern), so never
 * served: after an upgrade that made the default strict, that is how old short links are found to have stopped.
 * Counts only, never names: a folder's name is the key to its files, and logs are read by more people.
 */
final class FolderCountLog {

    private static final Logger log = LoggerFactory.getLogger(FolderCountLog.class);
    /** Entries of the root looked at, a stat each, on one I/O thread: a bound on what a huge root costs at start. */
    static final int MOST_ENTRIES = 100_000;

    private FolderCountLog() {
    }

    /** Starts the count in the background; the service serves meanwhile. */
    static void start(Folders folders, Pattern hashPattern) {
        folders.countFolders(name -> RequestTarget.isSafeFolderName(name, hashPattern), MOST_ENTRIES)
                .whenComplete((count, error) -> {
                    if (error != null) {
                        log.warn("could not count the folders under the root: {}", error.toString());
                    } else if (count.isEmpty()) {
                        log.info("folders not counted at start in an object store; a link names a folder only if its"
                                + " name matches --hash-pattern");
                    } else {
                        log(count.get());
                    }
                });
    }

    private static void log(FolderCount count) {
        String scope = count.complete() ? "" : " (in its first " + MOST_ENTRIES + " entries; it has more)";
        if (count.notServable() == 0) {
            log.info("folders under the root{}: {}, every name matches --hash-pattern", scope, count.servable());
        } else {
            log.warn("folders under the root{} whose names do not match --hash-pattern (env HASH_PATTERN), so are"
                    + " never served: {} ({} match). A link to one answers 404 (README, \"Folder names\")",
                    scope, count.notServable(), count.servable());
        }
    }
}
