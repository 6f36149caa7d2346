package dev.downloadservice.zip;

/** The end of the archive: where the central directory is and which end records describe it. */
record EndLayout(long entryCount, long centralDirectoryOffset, long centralDirectorySize) {

    /** APPNOTE 4.4.21/4.4.22: a count of 0xFFFF already means "see the ZIP64 record". */
    boolean entryCountOverflows() {
        return entryCount >= 0xFFFF;
    }

    boolean centralDirectorySizeOverflows() {
        return centralDirectorySize >= EntryLayout.ZIP64_MAGIC;
    }

    boolean centralDirectoryOffsetOverflows() {
        return centralDirectoryOffset >= EntryLayout.ZIP64_MAGIC;
    }

    boolean needsZip64() {
        return entryCountOverflows() || centralDirectorySizeOverflows() || centralDirectoryOffsetOverflows();
    }

    /** The ZIP64 end record starts right after the central directory. */
    long zip64EndOffset() {
        return centralDirectoryOffset + centralDirectorySize;
    }

    int length() {
        return ZipRecords.END_LENGTH
                + (needsZip64() ? ZipRecords.ZIP64_END_LENGTH + ZipRecords.ZIP64_LOCATOR_LENGTH : 0);
    }
}
