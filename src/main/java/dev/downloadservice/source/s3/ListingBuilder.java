package dev.downloadservice.source.s3;

import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.FileVersion;
import dev.downloadservice.source.ListedNames;
import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Turns the objects of one folder, page by page, into a listing: the same entries a
 * local folder of those files would give. "Directories" are the prefixes between the
 * folder and each key, and marker objects ("a/") of empty ones; a directory's time is
 * the newest of what is in it, so that every replica gives it the same.
 */
final class ListingBuilder {

    private static final Logger log = LoggerFactory.getLogger(ListingBuilder.class);

    /** Bounds the memory of one listing, as on disk. */
    static final int MAX_ENTRIES = 1_000_000;
    /** Objects have no mode: entries get the modes a plain upload to disk would have. */
    static final int FILE_PERMISSIONS = 0644;
    static final int DIRECTORY_PERMISSIONS = 0755;

    private final String name;
    private final String folderPrefix;
    private final ListedNames listed;
    private final List<SourceFile> files = new ArrayList<>();
    /** Directory entry name → newest time of anything in it or of its marker object. */
    private final Map<String, Long> directories = new HashMap<>();
    private boolean found;

    /** @param folderPrefix the key prefix of the folder, ending in '/' */
    ListingBuilder(String name, String folderPrefix, ListedNames listed) {
        this.name = name;
        this.folderPrefix = folderPrefix;
        this.listed = listed;
    }

    void add(S3Object object) {
        found = true;
        String relative = object.key().substring(folderPrefix.length());
        long mtime = object.lastModified().toEpochMilli();
        if (relative.isEmpty()) {
            return; // the folder's own marker object: its time does not change when a file goes
        }
        if (!listed.hidden() && ObjectNames.isHidden(relative)) {
            log.debug("left out hidden {}", EntryNames.printable(relative));
            return;
        }
        String leftOut = ObjectNames.whyLeftOut(relative, listed);
        if (leftOut != null) {
            log.warn("left out {}: {}", EntryNames.printable(object.key()), leftOut);
            return;
        }
        if (files.size() + directories.size() >= MAX_ENTRIES) {
            throw new CompletionException(new IOException("expected at most " + MAX_ENTRIES
                    + " entries in folder " + name + ", found more"));
        }
        if (relative.endsWith("/")) {
            directories.merge(relative, mtime, Math::max); // a marker: "create folder" in a console
        } else {
            files.add(new SourceFile(relative, object.key(), object.size(), FILE_PERMISSIONS,
                    FileVersion.ofMillis(object.eTag(), mtime)));
        }
        for (int slash = relative.indexOf('/'); slash >= 0 && slash < relative.length() - 1;
             slash = relative.indexOf('/', slash + 1)) {
            directories.merge(relative.substring(0, slash + 1), mtime, Math::max);
        }
    }

    /** The listing of what was added; empty if no key had the folder's prefix (no such folder). */
    Optional<Listing> listing() {
        if (!found) {
            return Optional.empty();
        }
        List<SourceFile> entries = new ArrayList<>(files.size() + directories.size());
        for (SourceFile file : files) {
            // A key "a" beside keys "a/..." cannot be a file where a directory is: every unzip tool would trip.
            if (directories.containsKey(file.name() + "/")) {
                log.warn("left out {}: a directory of the same name holds other objects",
                        EntryNames.printable(file.location()));
            } else {
                entries.add(file);
            }
        }
        directories.forEach((directory, mtime) -> entries.add(new SourceFile(directory, folderPrefix + directory,
                0, DIRECTORY_PERMISSIONS, FileVersion.ofMillis(null, mtime))));
        return Optional.of(new Listing(name, Listing.NO_FOLDER_TIME, Listing.inArchiveOrder(entries)));
    }
}
