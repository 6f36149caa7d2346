package dev.downloadservice.archive;

import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What of a folder goes into its archive: the whole folder, or some of its files. A selection is a filter
 * of the listing before it is planned, so its archive is still a pure function of what was listed and
 * chosen: an exact length, ranges, and the same bytes and ETag on every replica.
 */
public sealed interface Selection {

    /** Every entry the listing has. */
    Selection WHOLE_FOLDER = new WholeFolder();

    /** The entries of the archive of this selection of a listing; fails if a chosen path is not one of its files. */
    Listing chosenFrom(Listing listing);

    /** Some files, by their paths relative to the folder as listed; order and repeats do not matter. */
    static Selection of(List<String> paths) {
        return new Files(new TreeSet<>(paths));
    }

    /** The folder as it is. */
    record WholeFolder() implements Selection {
        @Override
        public Listing chosenFrom(Listing listing) {
            return listing;
        }
    }

    /**
     * These files, each with the directories that lead to it, as the whole folder's archive has them
     * (their times and modes), so that the selection extracts into the same tree. No other directory
     * goes in: an empty folder was not chosen.
     *
     * @param paths sorted and without repeats, so that equal sets are equal selections (the cache's key)
     */
    record Files(SortedSet<String> paths) implements Selection {

        public Files {
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("a selection of no files");
            }
            paths = Collections.unmodifiableSortedSet(new TreeSet<>(paths));
        }

        @Override
        public Listing chosenFrom(Listing listing) {
            Set<String> directories = new HashSet<>();
            for (String path : paths) {
                for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
                    directories.add(path.substring(0, slash + 1));
                }
            }
            List<SourceFile> chosen = new ArrayList<>(paths.size() + directories.size());
            Set<String> found = new HashSet<>(paths.size());
            for (SourceFile file : listing.files()) {
                if (file.isDirectory() ? directories.contains(file.name()) : paths.contains(file.name())) {
                    chosen.add(file);
                    if (!file.isDirectory()) {
                        found.add(file.name());
                    }
                }
            }
            for (String path : paths) { // in sorted order, so the same request always names the same path
                if (!found.contains(path)) {
                    throw new NotInFolderException(listing.folder(), path);
                }
            }
            return new Listing(listing.folder(), listing.folderMtimeMillis(), chosen);
        }
    }
}
