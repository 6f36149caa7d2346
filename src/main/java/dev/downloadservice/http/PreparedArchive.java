package dev.downloadservice.http;

import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.zip.ArchiveEntry;
import dev.downloadservice.zip.ArchivePlan;
import java.util.ArrayList;
import java.util.List;

/** A folder's listing and the archive planned from it: everything needed before the first byte. */
record PreparedArchive(Listing listing, ArchivePlan plan) {

    static PreparedArchive of(Listing listing) {
        List<ArchiveEntry> entries = new ArrayList<>(listing.files().size());
        for (SourceFile file : listing.files()) {
            entries.add(file.isDirectory()
                    ? ArchiveEntry.directory(file.name(), file.mtimeMillis(), file.permissions())
                    : ArchiveEntry.file(file.name(), file.size(), file.mtimeMillis(), file.permissions()));
        }
        return new PreparedArchive(listing, ArchivePlan.of(entries));
    }
}
