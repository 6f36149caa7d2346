package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;

/**
 * A value an operator could get wrong for an option, on the command line or in its environment variable:
 * start-up stops with one line that names both, says what was expected, and exit code 2. Values are as
 * systemd passes them from an environment file, where text after '#' is part of the value.
 *
 * @param option   the option as the help names it
 * @param variable its environment variable
 * @param value    a value it must refuse
 */
public record BadValue(String option, String variable, String value) {

    private static final Set<String> FLAGS = Set.of("--debug", "--include-hidden", "--reuse-port", "--s3-path-style");

    /** One for every option but --check-config, which takes no value. */
    public static Stream<BadValue> forEveryOption() {
        return Stream.of(
                new BadValue("--path", "PHOTOS_PATH", "/no/such/folder"),
                new BadValue("--debug", "DEBUG", "maybe"),
                new BadValue("--delay", "DELAY", "soon"),
                new BadValue("--host", "HOST", "no-such-host.invalid"),
                new BadValue("--port", "PORT", "http"),
                new BadValue("--hash-pattern", "HASH_PATTERN", "[a-f0-9]{32}   # md5"),
                new BadValue("--include-hidden", "INCLUDE_HIDDEN", "yes please"),
                new BadValue("--entry-names", "ENTRY_NAMES", "windows"),
                new BadValue("--idle-timeout", "IDLE_TIMEOUT", "1m"),
                new BadValue("--send-timeout", "SEND_TIMEOUT", "0"),
                new BadValue("--admin-port", "ADMIN_PORT", "8081   # /metrics here"),
                new BadValue("--reuse-port", "REUSE_PORT", "1 # for upgrades"),
                new BadValue("--shutdown-timeout", "SHUTDOWN_TIMEOUT", "30 # seconds"),
                new BadValue("--log-format", "LOG_FORMAT", "xml"),
                new BadValue("--access-log", "ACCESS_LOG", "/no/such/folder/access.log"),
                new BadValue("--trusted-proxies", "TRUSTED_PROXIES", "nginx.local"),
                new BadValue("--max-downloads", "MAX_DOWNLOADS", "many"),
                new BadValue("--max-downloads-per-client", "MAX_DOWNLOADS_PER_CLIENT", "0"),
                new BadValue("--max-url-length", "MAX_URL_LENGTH", "4k"),
                new BadValue("--max-header-size", "MAX_HEADER_SIZE", "99999999999"),
                new BadValue("--rate-limit", "RATE_LIMIT", "fast"),
                new BadValue("--max-form-size", "MAX_FORM_SIZE", "100"),
                new BadValue("--s3-endpoint", "S3_ENDPOINT", "minio:9000"),
                new BadValue("--s3-region", "S3_REGION", "EU West"),
                new BadValue("--s3-path-style", "S3_PATH_STYLE", "maybe"),
                new BadValue("--s3-timeout", "S3_TIMEOUT", "0"),
                new BadValue("--secure-link-secret", "SECURE_LINK_SECRET", ""), // a secret is never named: "an empty value"
                new BadValue("--secure-link-secret-file", "SECURE_LINK_SECRET_FILE", "/no/such/secret"),
                new BadValue("--secure-link-grace", "SECURE_LINK_GRACE", "1d"),
                new BadValue("--max-archive-size", "MAX_ARCHIVE_SIZE", "20GB"),
                new BadValue("--max-archive-entries", "MAX_ARCHIVE_ENTRIES", "many"));
    }

    /** A flag takes no value after a space (that would be an argument of its own), only after '='. */
    public String[] asArguments() {
        return FLAGS.contains(option) ? new String[] {option + "=" + value} : new String[] {option, value};
    }

    /** Start-up stopped as it must: exit 2, nothing on standard output, one line on standard error. */
    public void assertRefused(int exit, String out, String err, String describe) {
        assertThat(exit).as(describe).isEqualTo(2);
        assertThat(out).as(describe).isEmpty();
        assertThat(err.lines()).as(describe).singleElement(as(InstanceOfAssertFactories.STRING))
                .startsWith("download-service: invalid value for " + option + " (env " + variable + "): expected ")
                .contains(", found " + value);
        if (value.contains("#")) {
            assertThat(err).as(describe).contains("systemd keeps text after #");
        }
    }

    @Override
    public String toString() {
        return option + " / " + variable + "=" + value;
    }
}
