package dev.downloadservice.config;

import java.util.OptionalInt;
import java.util.OptionalLong;
import picocli.CommandLine.Option;

/** The options that bound the archives served (413 above them), mixed into {@link Options}. */
final class ArchiveLimitOptions {

    /** 1024 TiB: more than any folder, and no overflow in the units. */
    private static final long MOST_BYTES = 1L << 50;

    @Option(names = "--max-archive-size", paramLabel = "BYTES", defaultValue = "0",
            description = "Refuse (413) an archive longer than this, e.g. 20G (binary units: k, M, G, T); 0 for no"
                    + " limit (env MAX_ARCHIVE_SIZE, default: ${DEFAULT-VALUE}).")
    String maxArchiveSize;

    @Option(names = "--max-archive-entries", paramLabel = "N", defaultValue = "0",
            description = "Refuse (413) an archive of more entries (files and folders) than this; 0 for no limit"
                    + " (env MAX_ARCHIVE_ENTRIES, default: ${DEFAULT-VALUE}).")
    String maxArchiveEntries;

    Config.ArchiveLimits checked(Checks checks) {
        OptionalLong bytes = Checks.binaryBytes(maxArchiveSize, MOST_BYTES);
        if (bytes.isEmpty()) {
            throw checks.invalid("--max-archive-size", "0 or a size up to 1024T, such as 500M or 20G", maxArchiveSize);
        }
        int entries = checks.integer("--max-archive-entries", maxArchiveEntries, 0, Integer.MAX_VALUE,
                "0 or a number of entries up to " + Integer.MAX_VALUE);
        return new Config.ArchiveLimits(bytes.getAsLong() == 0 ? OptionalLong.empty() : bytes,
                entries == 0 ? OptionalInt.empty() : OptionalInt.of(entries));
    }
}
