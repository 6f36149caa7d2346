package dev.downloadservice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.downloadservice.testing.BadValue;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/** Command line over environment over default, for every option; bad values stop start-up. */
class OptionsTest {

    @TempDir
    Path dir;
    private Path flagRoot;
    private Path envRoot;

    @BeforeEach
    void folders() throws Exception {
        flagRoot = Files.createDirectory(dir.resolve("from-flag"));
        envRoot = Files.createDirectory(dir.resolve("from-env"));
    }

    @Test
    void parse_nothingGiven_usesDefaults() throws Exception {

        Config config = Options.parse(new String[0], Map.of());

        assertThat(config).isEqualTo(new Config(
                new Config.Archives(new Config.LocalDirectory(Path.of("test_photos").toAbsolutePath()),
                        config.archives().hashPattern(), /* includeHidden= */ false, Config.EntryNames.PORTABLE,
                        Duration.ZERO),
                new Config.Listen("0.0.0.0", 8080, Config.SAME_PORT, /* reusePort= */ false),
                new Config.Timeouts(Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofSeconds(30)),
                new Config.Logging(/* debug= */ false, Config.LogFormat.COMBINED, List.of("127.0.0.0/8", "::1"),
                        Optional.empty()),
                new Config.Limits(1000, 16, 4096, 8192, 0), new Config.Forms(1 << 20), new Config.UnsignedLinks(),
                new Config.ArchiveLimits(OptionalLong.empty(), OptionalInt.empty())));
        assertThat(config.archives().hashPattern().pattern()).isEqualTo("[A-Za-z0-9_-]{16,128}");
    }

    @Test
    void parse_environmentOnly_overridesDefaults() {
        Config config = Options.parse(new String[0], Map.ofEntries(
                Map.entry("PHOTOS_PATH", envRoot.toString()), Map.entry("DEBUG", "1"), Map.entry("DELAY", "0.25"),
                Map.entry("HOST", "127.0.0.2"), Map.entry("PORT", "9090"), Map.entry("HASH_PATTERN", "[a-f0-9]{32}"),
                Map.entry("INCLUDE_HIDDEN", "1"), Map.entry("IDLE_TIMEOUT", "30"), Map.entry("SEND_TIMEOUT", "40"),
                Map.entry("ADMIN_PORT", "9091"), Map.entry("SHUTDOWN_TIMEOUT", "5"), Map.entry("LOG_FORMAT", "json"),
                Map.entry("TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::1"), Map.entry("MAX_DOWNLOADS", "50"),
                Map.entry("MAX_DOWNLOADS_PER_CLIENT", "4"), Map.entry("MAX_URL_LENGTH", "2048"),
                Map.entry("MAX_HEADER_SIZE", "4096"), Map.entry("RATE_LIMIT", "2M"), Map.entry("MAX_FORM_SIZE", "65536"),
                Map.entry("ACCESS_LOG", dir.resolve("access.log").toString()), Map.entry("REUSE_PORT", "1"),
                Map.entry("SECURE_LINK_SECRET", "from env"), Map.entry("SECURE_LINK_GRACE", "3600"),
                Map.entry("MAX_ARCHIVE_SIZE", "20G"), Map.entry("MAX_ARCHIVE_ENTRIES", "50000"),
                Map.entry("ENTRY_NAMES", "original")));

        assertThat(config).isEqualTo(new Config(
                new Config.Archives(new Config.LocalDirectory(envRoot), config.archives().hashPattern(),
                        /* includeHidden= */ true, Config.EntryNames.ORIGINAL, Duration.ofMillis(250)),
                new Config.Listen("127.0.0.2", 9090, 9091, /* reusePort= */ true),
                new Config.Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(40), Duration.ofSeconds(5)),
                new Config.Logging(/* debug= */ true, Config.LogFormat.JSON, List.of("10.0.0.0/8", "2001:db8::1"),
                        Optional.of(dir.resolve("access.log"))),
                new Config.Limits(50, 4, 2048, 4096, 2L << 20), new Config.Forms(65_536),
                new Config.SignedLinks("from env", Duration.ofHours(1)),
                new Config.ArchiveLimits(OptionalLong.of(20L << 30), OptionalInt.of(50_000))));
        assertThat(config.archives().hashPattern().pattern()).isEqualTo("[a-f0-9]{32}");
    }

    @Test
    void parse_flagsAndEnvironment_flagsWin() {
        Config config = Options.parse(new String[] {
                "--path", flagRoot.toString(), "--no-debug", "--delay", "0", "--host", "127.0.0.3",
                "--port", "0", "--hash-pattern", "x+", "--no-include-hidden", "--idle-timeout", "1.5",
                "--send-timeout", "2", "--admin-port", "0", "--shutdown-timeout", "0", "--log-format", "COMBINED",
                "--trusted-proxies", "", "--max-downloads", "7", "--max-downloads-per-client", "3",
                "--max-url-length", "1000", "--max-header-size", "2000", "--rate-limit", "500k",
                "--max-form-size", "2048",
                "--secure-link-secret", "from flag", "--secure-link-grace", "0", "--max-archive-size", "0",
                "--max-archive-entries", "7", "--entry-names", "Portable"}, Map.ofEntries(
                Map.entry("PHOTOS_PATH", envRoot.toString()), Map.entry("DEBUG", "1"), Map.entry("DELAY", "2"),
                Map.entry("HOST", "127.0.0.2"), Map.entry("PORT", "9090"), Map.entry("HASH_PATTERN", "[a-f0-9]{32}"),
                Map.entry("INCLUDE_HIDDEN", "1"), Map.entry("IDLE_TIMEOUT", "30"), Map.entry("ADMIN_PORT", "9091"),
                Map.entry("SHUTDOWN_TIMEOUT", "5"), Map.entry("SEND_TIMEOUT", "40"), Map.entry("LOG_FORMAT", "json"),
                Map.entry("TRUSTED_PROXIES", "10.0.0.1"), Map.entry("MAX_DOWNLOADS", "50"), Map.entry("RATE_LIMIT", "2M"),
                Map.entry("MAX_FORM_SIZE", "65536"),
                Map.entry("SECURE_LINK_SECRET", "from env"), Map.entry("SECURE_LINK_GRACE", "3600"),
                Map.entry("MAX_ARCHIVE_SIZE", "20G"), Map.entry("MAX_ARCHIVE_ENTRIES", "50000"),
                Map.entry("ENTRY_NAMES", "original")));

        assertThat(config).isEqualTo(new Config(
                new Config.Archives(new Config.LocalDirectory(flagRoot), config.archives().hashPattern(),
                        /* includeHidden= */ false, Config.EntryNames.PORTABLE, Duration.ZERO),
                new Config.Listen("127.0.0.3", 0, 0, /* reusePort= */ false),
                new Config.Timeouts(Duration.ofMillis(1500), Duration.ofSeconds(2), Duration.ZERO),
                new Config.Logging(/* debug= */ false, Config.LogFormat.COMBINED, List.of(), Optional.empty()),
                new Config.Limits(7, 3, 1000, 2000, 500 * 1024), new Config.Forms(2048),
                new Config.SignedLinks("from flag", Duration.ZERO),
                new Config.ArchiveLimits(OptionalLong.empty(), OptionalInt.of(7))));
        assertThat(config.archives().hashPattern().pattern()).isEqualTo("x+");
    }

    @Test
    void parse_s3PathFromEnvironment_objectStoreWithEnvironmentSettings() {
        Config config = Options.parse(new String[0], Map.of("PHOTOS_PATH", "s3://photo-bucket/galleries",
                "S3_ENDPOINT", "http://minio.internal:9000", "S3_REGION", "eu-west-1"));

        assertThat(config.archives().root()).isEqualTo(new Config.ObjectStore("photo-bucket", "galleries/",
                new Config.S3Connection(Optional.of(URI.create("http://minio.internal:9000")), Optional.of("eu-west-1"),
                        /* pathStyle= */ true, Duration.ofSeconds(10))));
    }

    @Test
    void parse_s3FlagsAndEnvironment_flagsWin() {
        Config config = Options.parse(new String[] {"--path", "s3://flag-bucket", "--s3-region", "us-west-2",
                "--no-s3-path-style", "--s3-timeout", "2.5"}, Map.of("PHOTOS_PATH", "s3://env-bucket/x/",
                "S3_REGION", "eu-west-1", "S3_PATH_STYLE", "1", "S3_ENDPOINT", "https://s3.example.net", "S3_TIMEOUT", "9"));

        assertThat(config.archives().root()).isEqualTo(new Config.ObjectStore("flag-bucket", "",
                new Config.S3Connection(Optional.of(URI.create("https://s3.example.net")), Optional.of("us-west-2"),
                        /* pathStyle= */ false, Duration.ofMillis(2500))));
    }

    @Test
    void parse_s3WithoutEndpoint_awsWithVirtualHostedStyle() {
        Config config = Options.parse(new String[] {"--path", "s3://photos.example/a/b/"}, Map.of());

        assertThat(config.archives().root()).isEqualTo(new Config.ObjectStore("photos.example", "a/b/",
                new Config.S3Connection(Optional.empty(), Optional.empty(), /* pathStyle= */ false, Duration.ofSeconds(10))));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--path s3://UPPER/x | --path",
            "--path s3://ab | --path",
            "--path s3://a..b/x | --path",
            "--path s3://bucket//x | --path",
            "--path s3:// | --path",
            "--path s3://bucket --s3-endpoint ftp://host | --s3-endpoint",
            "--path s3://bucket --s3-endpoint not-a-url | --s3-endpoint",
            "--path s3://bucket --s3-region EU_WEST | --s3-region",
            "--s3-endpoint http://minio:9000 | --s3-endpoint",
            "--s3-path-style | --s3-path-style",
            "--path s3://bucket --s3-timeout 0 | --s3-timeout",
            "--s3-timeout 5 | --s3-timeout"})
    void parse_badObjectStoreSettings_namesTheOption(String args, String option) {
        assertThatThrownBy(() -> Options.parse(args.strip().split(" "), Map.of()))
                .isInstanceOf(ParameterException.class)
                .hasMessageStartingWith("invalid value for " + option);
    }

    @Test
    void parse_debugFlagWithoutValue_enablesDebug() {
        Config config = Options.parse(new String[] {"--path", flagRoot.toString(), "--debug"}, Map.of("DEBUG", "0"));

        assertThat(config.logging().debug()).isTrue();
    }

    @ParameterizedTest(name = "DEBUG={0} -> {1}")
    @CsvSource({"1, true", "true, true", "yes, true", "0, false", "false, false", "'', false"})
    void parse_debugFromEnvironment_acceptsUsualSpellings(String value, boolean debug) {
        assertThat(Options.parse(new String[] {"--path", flagRoot.toString()}, Map.of("DEBUG", value)).logging().debug())
                .isEqualTo(debug);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--delay|-1|invalid value for --delay (env DELAY): expected seconds from 0 to 86400, found -1",
            "--delay|abc|--delay",
            "--port|70000|invalid value for --port (env PORT): expected a port from 0 to 65535, found 70000",
            "--port|-1|invalid value for --port (env PORT): expected a port from 0 to 65535, found -1",
            "--path|/no/such/folder|invalid value for --path (env PHOTOS_PATH): expected an existing directory or s3://bucket/prefix, found /no/such/folder",
            "--path|/home/no-such-photos|invalid value for --path (env PHOTOS_PATH): expected an existing directory or s3://bucket/prefix, found /home/no-such-photos (under the package's unit, /home is hidden from the service: ProtectHome=yes and PrivateTmp=yes; see docs/deploy.md, Configure)",
            "--hash-pattern|[|invalid value for --hash-pattern (env HASH_PATTERN): expected a regular expression",
            "--idle-timeout|0|invalid value for --idle-timeout (env IDLE_TIMEOUT): expected seconds from 1 to 86400, found 0",
            "--delay|60|invalid value for --delay (env DELAY): expected less than --send-timeout (60 s), found 60",
            "--send-timeout|0|invalid value for --send-timeout (env SEND_TIMEOUT): expected seconds from 1 to 86400, found 0",
            "--log-format|xml|invalid value for --log-format (env LOG_FORMAT): expected combined or json, found xml",
            "--entry-names|windows|invalid value for --entry-names (env ENTRY_NAMES): expected portable or original, found windows",
            "--trusted-proxies|proxy.example.com|invalid value for --trusted-proxies (env TRUSTED_PROXIES): expected IP addresses or CIDR blocks separated by commas, found proxy.example.com",
            "--max-downloads|0|invalid value for --max-downloads (env MAX_DOWNLOADS): expected a number from 1 to 1000000, found 0",
            "--max-url-length|100|invalid value for --max-url-length (env MAX_URL_LENGTH): expected a number from 256 to 1048576, found 100",
            "--rate-limit|100|invalid value for --rate-limit (env RATE_LIMIT): expected 0 or a rate from 1k to 1024G bytes per second, such as 500k or 2M, found 100",
            "--rate-limit|17179869184G|invalid value for --rate-limit (env RATE_LIMIT): expected 0 or a rate from 1k to 1024G bytes per second, such as 500k or 2M, found 17179869184G",
            "--rate-limit|2X|invalid value for --rate-limit (env RATE_LIMIT): expected 0 or a rate from 1k to 1024G bytes per second, such as 500k or 2M, found 2X",
            "--trusted-proxies|10.0.0.0/33|invalid value for --trusted-proxies (env TRUSTED_PROXIES): expected IP addresses or CIDR blocks separated by commas, found 10.0.0.0/33",
            "--admin-port|65536|invalid value for --admin-port (env ADMIN_PORT): expected a port from 0 to 65535, found 65536",
            "--shutdown-timeout|-1|invalid value for --shutdown-timeout (env SHUTDOWN_TIMEOUT): expected seconds from 0 to 86400, found -1",
            "--access-log|/no/such/folder/access.log|invalid value for --access-log (env ACCESS_LOG): expected a file it may append to, or create in an existing folder it may write, found /no/such/folder/access.log",
            // Text that is no number at all, in the same words as a number out of range (picocli's own said "cannot convert").
            "--port|http|invalid value for --port (env PORT): expected a port from 0 to 65535, found http",
            "--shutdown-timeout|30s|invalid value for --shutdown-timeout (env SHUTDOWN_TIMEOUT): expected seconds from 0 to 86400, found 30s",
            "--max-header-size|99999999999|invalid value for --max-header-size (env MAX_HEADER_SIZE): expected a number from 1024 to 1048576, found 99999999999",
            "--max-form-size|1M|invalid value for --max-form-size (env MAX_FORM_SIZE): expected a number of bytes from 1024 to 268435456, found 1M",
            "--max-downloads|many|invalid value for --max-downloads (env MAX_DOWNLOADS): expected a number from 1 to 1000000, found many",
            "--s3-timeout|soon|invalid value for --s3-timeout (env S3_TIMEOUT): expected seconds from 1 to 86400, found soon",
            "--secure-link-grace|-1|invalid value for --secure-link-grace (env SECURE_LINK_GRACE): expected seconds from 0 to 604800, found -1",
            "--secure-link-secret|''|invalid value for --secure-link-secret (env SECURE_LINK_SECRET): expected a secret of one character or more (openssl rand -base64 32 makes one), found an empty value",
            "--secure-link-secret-file|/no/such/secret|invalid value for --secure-link-secret-file (env SECURE_LINK_SECRET_FILE): expected a readable file that holds the secret as UTF-8 text, found /no/such/secret (no such file)",
            "--max-archive-size|20X|invalid value for --max-archive-size (env MAX_ARCHIVE_SIZE): expected 0 or a size up to 1024T, such as 500M or 20G, found 20X",
            "--max-archive-size|2048T|invalid value for --max-archive-size (env MAX_ARCHIVE_SIZE): expected 0 or a size up to 1024T, such as 500M or 20G, found 2048T",
            "--max-archive-entries|-1|invalid value for --max-archive-entries (env MAX_ARCHIVE_ENTRIES): expected 0 or a number of entries up to 2147483647, found -1",
            // An inline comment, as systemd passes it from an environment file: the error says why.
            "--admin-port|8081   # /metrics here|invalid value for --admin-port (env ADMIN_PORT): expected a port from 0 to 65535, found 8081   # /metrics here (systemd keeps text after # as part of the value: put a comment on a line of its own)",
            "--shutdown-timeout|30 # seconds|invalid value for --shutdown-timeout (env SHUTDOWN_TIMEOUT): expected seconds from 0 to 86400, found 30 # seconds (systemd keeps text after #",
            "--hash-pattern|[a-f0-9]{32}  # md5|invalid value for --hash-pattern (env HASH_PATTERN): expected a regular expression, found [a-f0-9]{32}  # md5 (systemd keeps text after #",
            "--path|test_photos  # the galleries|invalid value for --path (env PHOTOS_PATH): expected an existing directory or s3://bucket/prefix, found test_photos  # the galleries (systemd keeps text after #",
            "--host|127.0.0.1  # nginx only|invalid value for --host (env HOST): expected an IP address, or a host name that resolves, found 127.0.0.1  # nginx only (systemd keeps text after #",
            // A name that does not resolve is a bad value, not a failed bind (exit 1, UnresolvedAddressException).
            "--host|no-such-host.invalid|invalid value for --host (env HOST): expected an IP address, or a host name that resolves, found no-such-host.invalid",
            "--host|''|invalid value for --host (env HOST): expected an IP address, or a host name that resolves, found an empty value",
    })
    void run_badValue_printsOneLineNamingTheOptionAndExits2(String option, String value, String message) {
        String[] args = option.equals("--path")
                ? new String[] {option, value}
                : new String[] {"--path", flagRoot.toString(), option, value};

        String err = refused(args, Map.of());

        assertThat(err).startsWith("download-service: ").contains(message);
        assertThat(err.lines()).hasSize(1);
    }

    /** What picocli itself refuses (a flag's value, a missing value, an unknown option) is said in one line too. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--debug=maybe|invalid value for --debug (env DEBUG): expected 1, true, yes, on, 0, false, no, off or an empty value, found maybe",
            "--no-include-hidden=perhaps|invalid value for --include-hidden (env INCLUDE_HIDDEN): expected 1, true, yes, on, 0, false, no, off or an empty value, found perhaps",
            "--port|invalid value for --port (env PORT): expected a value (PORT), found nothing",
            "--no-such-option|Unknown option: '--no-such-option' (download-service --help lists the options)",
            "extra|Unmatched argument at index 2: 'extra' (download-service --help lists the options)"})
    void run_refusedByTheParser_oneLine(String arg, String message) {
        String err = refused(new String[] {"--path", flagRoot.toString(), arg}, Map.of());

        assertThat(err).isEqualTo("download-service: " + message + System.lineSeparator());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "PORT|70000|invalid value for --port (env PORT): expected a port from 0 to 65535, found 70000",
            "DEBUG|maybe|invalid value for --debug (env DEBUG): expected 1, true, yes, on, 0, false, no, off or an empty value, found maybe",
            "INCLUDE_HIDDEN|1 # dotfiles too|invalid value for --include-hidden (env INCLUDE_HIDDEN): expected 1, true, yes, on, 0, false, no, off or an empty value, found 1 # dotfiles too (systemd keeps text after #",
            "S3_PATH_STYLE|maybe|invalid value for --s3-path-style (env S3_PATH_STYLE): expected 1, true, yes, on, 0, false, no, off or an empty value, found maybe",
            // Checked with a local --path too: a bad value stops start-up even where it would not be used.
            "S3_TIMEOUT|10 # seconds|invalid value for --s3-timeout (env S3_TIMEOUT): expected seconds from 1 to 86400, found 10 # seconds",
            "S3_ENDPOINT|minio:9000|invalid value for --s3-endpoint (env S3_ENDPOINT): expected an http:// or https:// URL, found minio:9000"})
    void run_badValueFromEnvironment_namesTheVariable(String variable, String value, String message) {
        String err = refused(new String[] {"--path", flagRoot.toString()}, Map.of(variable, value));

        assertThat(err).startsWith("download-service: " + message);
        assertThat(err.lines()).hasSize(1);
    }

    /** Every option that takes a value has a bad value below, tried both ways (and a sample through the jar, JarIT). */
    @Test
    void badValues_coverEveryOption() {
        List<String> options = new CommandLine(new Options()).getCommandSpec().options().stream()
                .filter(option -> !option.usageHelp() && !option.versionHelp())
                .map(OptionSpec::longestName).filter(name -> !name.equals("--check-config")).toList();

        assertThat(BadValue.forEveryOption().map(BadValue::option)).containsExactlyInAnyOrderElementsOf(options);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.downloadservice.testing.BadValue#forEveryOption")
    void run_everyOptionsBadValueAsArgument_oneLineNamingOptionAndVariable(BadValue bad) {
        assertRefused(bad, bad.asArguments(), Map.of());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.downloadservice.testing.BadValue#forEveryOption")
    void run_everyOptionsBadValueInEnvironment_oneLineNamingOptionAndVariable(BadValue bad) {
        assertRefused(bad, new String[0], Map.of(bad.variable(), bad.value()));
    }

    /** As JarIT runs the jar: the sample photos by default, and a listener that disturbs nothing. */
    private static void assertRefused(BadValue bad, String[] args, Map<String, String> variables) {
        Map<String, String> environment = new HashMap<>(Map.of("HOST", "127.0.0.1", "PORT", "0"));
        environment.putAll(variables);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int exit = Options.run(args, environment, config -> {
            throw new AssertionError("the service must not start with " + config);
        }, new PrintWriter(out), new PrintWriter(err));

        bad.assertRefused(exit, out.toString(), err.toString(), bad.toString());
    }

    /** The file's content is the secret, without the newline that echo or an editor put at its end. */
    @Test
    void parse_secretFile_contentWithoutTrailingNewline() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "s3cr3t with spaces\n");

        Config config = Options.parse(new String[] {"--path", flagRoot.toString()},
                Map.of("SECURE_LINK_SECRET_FILE", secret.toString()));

        assertThat(config.links()).isEqualTo(new Config.SignedLinks("s3cr3t with spaces", Duration.ofDays(1)));
        assertThat(config.toString()).as("a Config in a log line hides the secret").doesNotContain("s3cr3t");
    }

    /** Which would win is no question to leave to the order of options: both are refused, the secret unnamed. */
    @Test
    void run_secretAndSecretFile_refusedWithoutTheSecret() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "from file");

        String err = refused(new String[] {"--path", flagRoot.toString(), "--secure-link-secret", "from flag"},
                Map.of("SECURE_LINK_SECRET_FILE", secret.toString()));

        assertThat(err).startsWith("download-service: invalid value for --secure-link-secret (env SECURE_LINK_SECRET):"
                + " expected either it or --secure-link-secret-file").doesNotContain("from flag", "from file");
    }

    /** A folder for a file (as a mount gone wrong leaves it): unreadable as a secret, named, and exit 2. */
    @Test
    void run_unreadableSecretFile_namesItAndExits2() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("secret"));

        String err = refused(new String[] {"--path", flagRoot.toString(), "--secure-link-secret-file", folder.toString()},
                Map.of());

        assertThat(err).contains("invalid value for --secure-link-secret-file (env SECURE_LINK_SECRET_FILE): expected"
                + " a readable file that holds the secret as UTF-8 text, found " + folder + " (");
    }

    /** Two listeners cannot share a port: refused here, not left to fail in the bind. */
    @Test
    void parse_adminPortEqualToPort_isRefused() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--path", flagRoot.toString(), "--port", "9000"},
                Map.of("ADMIN_PORT", "9000")))
                .isInstanceOf(ParameterException.class)
                .hasMessage("invalid value for --admin-port (env ADMIN_PORT): expected a port other than --port's,"
                        + " or no --admin-port, found 9000");
    }

    @Test
    void parse_hostName_isResolvedAndKept() {
        assertThat(Options.parse(new String[] {"--path", flagRoot.toString(), "--host", " localhost "}, Map.of())
                .listen().host()).isEqualTo("localhost");
    }

    @Test
    void run_checkConfig_goodConfig_printsOneLineAndDoesNotStart() {
        StringWriter out = new StringWriter();

        int exit = Options.run(new String[] {"--check-config", "--path", flagRoot.toString(), "--host", "127.0.0.1",
                "--admin-port", "9091"}, Map.of("PORT", "9090"), config -> {
            throw new AssertionError("--check-config must not start the service");
        }, new PrintWriter(out), new PrintWriter(new StringWriter()));

        assertThat(exit).isZero();
        assertThat(out.toString()).isEqualTo("download-service: configuration ok: " + flagRoot
                + ", listening on 127.0.0.1:9090, /metrics and /healthz on port 9091" + System.lineSeparator());
    }

    @Test
    void run_checkConfig_badValue_theSameLineAndExit2() {
        String err = refused(new String[] {"--check-config", "--path", flagRoot.toString()},
                Map.of("SHUTDOWN_TIMEOUT", "30 # seconds"));

        assertThat(err).startsWith("download-service: invalid value for --shutdown-timeout (env SHUTDOWN_TIMEOUT)");
    }

    @Test
    void parse_unreadablePath_isRejected() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");

        assertThatThrownBy(() -> Options.parse(new String[] {"--path", file.toString()}, Map.of()))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("expected an existing directory");
    }

    @Test
    void run_help_printsUsageWithEnvironmentNamesAndExits0() {
        StringWriter out = new StringWriter();

        int exit = Options.run(new String[] {"--help"}, Map.of(), config -> 1,
                new PrintWriter(out), new PrintWriter(new StringWriter()));

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("--path", "PHOTOS_PATH", "--[no-]debug", "DEBUG=1", "--delay", "DELAY", "--port", "--host",
                "--hash-pattern", "--[no-]include-hidden", "--idle-timeout", "IDLE_TIMEOUT", "--send-timeout", "SEND_TIMEOUT", "--version",
                "overrides its environment variable");
    }

    @Test
    void run_goodConfig_returnsTheServiceExitCode() {
        int exit = Options.run(new String[] {"--path", flagRoot.toString()}, Map.of(), config -> 7,
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));

        assertThat(exit).isEqualTo(7);
    }

    /** Runs a command line that must be refused: exit code 2, the service never started. Returns standard error. */
    private static String refused(String[] args, Map<String, String> environment) {
        StringWriter err = new StringWriter();

        int exit = Options.run(args, environment, config -> {
            throw new AssertionError("the service must not start with " + config);
        }, new PrintWriter(new StringWriter()), new PrintWriter(err));

        assertThat(exit).isEqualTo(2);
        return err.toString();
    }
}
