package dev.downloadservice.config;

import java.util.OptionalLong;
import picocli.CommandLine.Option;

/** The options that bound how much the service takes on at once, mixed into {@link Options}. */
final class LimitOptions {

    @Option(names = "--max-downloads", paramLabel = "N", defaultValue = "1000",
            description = "Downloads under way at once, and folders being listed at once (a HEAD or a 304 lists"
                    + " too); more are answered 503 with Retry-After (env MAX_DOWNLOADS, default: ${DEFAULT-VALUE}).")
    String maxDownloads;

    @Option(names = "--max-downloads-per-client", paramLabel = "N", defaultValue = "16",
            description = "The same for one client address (download managers open several)"
                    + " (env MAX_DOWNLOADS_PER_CLIENT, default: ${DEFAULT-VALUE}).")
    String maxDownloadsPerClient;

    @Option(names = "--max-url-length", paramLabel = "BYTES", defaultValue = "4096",
            description = "Longest request line; longer is answered 414 (env MAX_URL_LENGTH, default: ${DEFAULT-VALUE}).")
    String maxUrlLength;

    @Option(names = "--max-header-size", paramLabel = "BYTES", defaultValue = "8192",
            description = "Most bytes of request headers; more is answered 431 (env MAX_HEADER_SIZE,"
                    + " default: ${DEFAULT-VALUE}).")
    String maxHeaderSize;

    @Option(names = "--rate-limit", paramLabel = "BYTES/s", defaultValue = "0",
            description = "Most bytes per second for one download, e.g. 500k or 2M (binary units); 0 for no limit"
                    + " (env RATE_LIMIT, default: ${DEFAULT-VALUE}).")
    String rateLimit;

    /** Checked in the order of the help: of several bad values, the first is the one named. */
    Config.Limits checked(Checks checks) {
        return new Config.Limits(
                checkedCount(checks, "--max-downloads", maxDownloads, 1, 1_000_000),
                checkedCount(checks, "--max-downloads-per-client", maxDownloadsPerClient, 1, 1_000_000),
                checkedCount(checks, "--max-url-length", maxUrlLength, 256, 1 << 20),
                checkedCount(checks, "--max-header-size", maxHeaderSize, 1024, 1 << 20), checkedRateLimit(checks));
    }

    /** A number of bytes with an optional k, M or G (1024-based) and an optional /s; 0, or at least 1k. */
    private long checkedRateLimit(Checks checks) {
        String text = rateLimit.strip();
        OptionalLong bytes = Checks.binaryBytes(text.endsWith("/s") ? text.substring(0, text.length() - 2) : text,
                1L << 40);
        if (bytes.isPresent() && (bytes.getAsLong() == 0 || bytes.getAsLong() >= 1024)) {
            return bytes.getAsLong();
        }
        throw checks.invalid("--rate-limit", "0 or a rate from 1k to 1024G bytes per second, such as 500k or 2M",
                rateLimit);
    }

    private static int checkedCount(Checks checks, String option, String text, int least, int most) {
        return checks.integer(option, text, least, most, "a number from " + least + " to " + most);
    }
}
