package dev.downloadservice.archive;

import java.util.List;

/** How the names of a listing's files become the names of the archive's entries (--entry-names). */
public enum EntryNaming {

    /** Made to extract everywhere, by the rules of {@link PortableNames}. */
    PORTABLE {
        @Override
        List<String> entryNames(List<String> fileNames) {
            return PortableNames.of(fileNames);
        }
    },

    /** As they are in the folder, byte for byte: the archives of the versions before the option. */
    ORIGINAL {
        @Override
        List<String> entryNames(List<String> fileNames) {
            return fileNames;
        }
    };

    /** The entry name of each file name, in their order. */
    abstract List<String> entryNames(List<String> fileNames);
}
