package dev.downloadservice.config;

import java.util.Locale;
import picocli.CommandLine.Option;

/** How files are named inside the archives, mixed into {@link Options}. */
final class EntryNameOptions {

    @Option(names = "--entry-names", paramLabel = "RULE", defaultValue = "portable",
            description = "Names of the files in the archives: portable (NFC, no character Windows refuses, no"
                    + " device name, no two names equal but for case, so that Windows, macOS and Linux extract"
                    + " every file) or original (as in the folder, byte for byte) (env ENTRY_NAMES,"
                    + " default: ${DEFAULT-VALUE}).")
    String entryNames;

    Config.EntryNames checked(Checks checks) {
        try {
            return Config.EntryNames.valueOf(entryNames.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw checks.invalid("--entry-names", "portable or original", entryNames);
        }
    }
}
