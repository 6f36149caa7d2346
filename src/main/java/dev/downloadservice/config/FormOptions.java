package dev.downloadservice.config;

import picocli.CommandLine.Option;

/** The options for what a POST's form (a selection of files, a name) may hold, mixed into {@link Options}. */
final class FormOptions {

    /** 1 MiB: a selection of 10,000 files of some 100 bytes of name each, %-escaped. */
    @Option(names = "--max-form-size", paramLabel = "BYTES", defaultValue = "1048576",
            description = "Most bytes of a POST's form (the files of a selection, a name); more is answered 413"
                    + " (env MAX_FORM_SIZE, default: ${DEFAULT-VALUE}).")
    String maxFormSize;

    Config.Forms checked(Checks checks) {
        return new Config.Forms(checks.integer("--max-form-size", maxFormSize, 1024, 1 << 28,
                "a number of bytes from 1024 to " + (1 << 28)));
    }
}
