package dev.downloadservice.config;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** The options for folders in an S3 bucket, and the s3:// form of --path they go with; mixed into {@link Options}. */
final class S3Options {

    /**
     * s3://bucket/prefix: a bucket name as S3 allows it (no "..") and an optional prefix
     * that does not start with '/' and holds no control character or backslash.
     */
    private static final Pattern S3_PATH = Pattern.compile(
            "s3://((?![a-z0-9.-]*\\.\\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/((?!/)[^\\p{Cntrl}\\\\]*))?");

    /** This group's options, none of which means anything with a local --path. */
    private static final List<String> NAMES =
            List.of("--s3-endpoint", "--s3-region", "--s3-path-style", "--s3-timeout");

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "With an s3:// --path: the address of an S3-compatible store such as MinIO or Ceph"
                    + " (env S3_ENDPOINT, default: AWS's). Credentials come from the AWS SDK's default chain:"
                    + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or an instance role.")
    String s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION",
            description = "With an s3:// --path: the bucket's region (env S3_REGION, default: the AWS SDK's"
                    + " (AWS_REGION, profile), or us-east-1 with --s3-endpoint).")
    String s3Region;

    @Option(names = "--s3-path-style", negatable = true, fallbackValue = "true",
            description = "With an s3:// --path: put the bucket in the URL's path, not its host name, as most"
                    + " S3-compatible stores want (env S3_PATH_STYLE=1, default: on with --s3-endpoint, else off).")
    Boolean s3PathStyle;

    @Option(names = "--s3-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "With an s3:// --path: give up a try (then retry it, or open a stream again from where it"
                    + " stopped) when the store sends nothing for this long (env S3_TIMEOUT, default: ${DEFAULT-VALUE}).")
    String s3Timeout;

    /** Whether --path names a bucket rather than a local directory. */
    static boolean isS3Path(String path) {
        return path.startsWith("s3://");
    }

    /**
     * This group's settings. They are checked whatever --path is, so that a bad value stops start-up even where
     * it would not be used (an environment file may set them all).
     */
    Config.S3Connection checkedConnection(Checks checks) {
        Optional<URI> endpoint = Optional.empty();
        if (s3Endpoint != null && !s3Endpoint.isBlank()) {
            try {
                URI uri = new URI(s3Endpoint.strip());
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new URISyntaxException(s3Endpoint, "not an http or https URL with a host");
                }
                endpoint = Optional.of(uri);
            } catch (URISyntaxException e) {
                throw checks.invalid("--s3-endpoint", "an http:// or https:// URL", s3Endpoint);
            }
        }
        Optional<String> region = Optional.ofNullable(s3Region).map(String::strip).filter(r -> !r.isEmpty());
        if (region.isPresent() && !region.get().matches("[a-z0-9-]{1,64}")) {
            throw checks.invalid("--s3-region", "a region name such as eu-west-1", s3Region);
        }
        boolean pathStyle = s3PathStyle != null ? s3PathStyle : endpoint.isPresent();
        return new Config.S3Connection(endpoint, region, pathStyle,
                checks.seconds("--s3-timeout", s3Timeout, BigDecimal.ONE));
    }

    /** The bucket and prefix in an s3:// --path, reached through {@code connection}. */
    static Config.ObjectStore checkedObjectStore(String path, Config.S3Connection connection, Checks checks) {
        Matcher m = S3_PATH.matcher(path);
        if (!m.matches()) {
            throw checks.invalid("--path", "s3://bucket or s3://bucket/prefix, with a bucket name of 3 to 63"
                    + " lower-case letters, digits, dots and hyphens", path);
        }
        String prefix = m.group(2) == null ? "" : m.group(2);
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix += "/";
        }
        return new Config.ObjectStore(m.group(1), prefix, connection);
    }

    /** An S3 option next to a local --path would be ignored without a word: refuse it instead. */
    void rejectNextTo(String localPath, Checks checks) {
        for (String option : NAMES) {
            if (checks.given(option)) {
                throw checks.invalid(option, "an s3:// --path to go with it", "the local --path " + localPath);
            }
        }
    }
}
