package dev.downloadservice.config;

import io.netty.util.NetUtil;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The command line. Each option can also come from the environment variable named in its help. */
@Command(name = "download-service",
        mixinStandardHelpOptions = true,
        versionProvider = Options.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = "Streams a ZIP archive of <path>/<hash>/ on GET /archive/<hash>/ while it builds it.",
        footer = "%nAn option given on the command line overrides its environment variable,"
                + " which overrides the default.")
public final class Options {

    /** Option → environment variable. The first three are the original service's. */
    private static final Map<String, String> ENVIRONMENT = Map.ofEntries(
            Map.entry("--path", "PHOTOS_PATH"),
            Map.entry("--debug", "DEBUG"),
            Map.entry("--delay", "DELAY"),
            Map.entry("--host", "HOST"),
            Map.entry("--port", "PORT"),
            Map.entry("--hash-pattern", "HASH_PATTERN"),
            Map.entry("--include-hidden", "INCLUDE_HIDDEN"),
            Map.entry("--idle-timeout", "IDLE_TIMEOUT"),
            Map.entry("--send-timeout", "SEND_TIMEOUT"),
            Map.entry("--admin-port", "ADMIN_PORT"),
            Map.entry("--shutdown-timeout", "SHUTDOWN_TIMEOUT"),
            Map.entry("--log-format", "LOG_FORMAT"),
            Map.entry("--trusted-proxies", "TRUSTED_PROXIES"),
            Map.entry("--max-downloads", "MAX_DOWNLOADS"),
            Map.entry("--max-downloads-per-client", "MAX_DOWNLOADS_PER_CLIENT"),
            Map.entry("--max-url-length", "MAX_URL_LENGTH"),
            Map.entry("--max-header-size", "MAX_HEADER_SIZE"),
            Map.entry("--rate-limit", "RATE_LIMIT"),
            Map.entry("--s3-endpoint", "S3_ENDPOINT"),
            Map.entry("--s3-region", "S3_REGION"),
            Map.entry("--s3-path-style", "S3_PATH_STYLE"),
            Map.entry("--s3-timeout", "S3_TIMEOUT"));

    /**
     * s3://bucket/prefix: a bucket name as S3 allows it (no "..") and an optional prefix
     * that does not start with '/' and holds no control character or backslash.
     */
    private static final Pattern S3_PATH = Pattern.compile(
            "s3://((?![a-z0-9.-]*\\.\\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/((?!/)[^\\p{Cntrl}\\\\]*))?");

    /** A byte count with an optional 1024-based unit, as --rate-limit takes it: 500k, 2M, 2M/s. */
    private static final Pattern RATE = Pattern.compile("(\\d{1,12})([kKmMgG]?)(?:/s)?");

    @Spec
    CommandSpec spec;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "test_photos",
            description = "Folder that holds one folder per archive, or s3://bucket/prefix for folders in object"
                    + " storage (env PHOTOS_PATH, default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--debug", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Log at debug level (env DEBUG=1).")
    boolean debug;

    @Option(names = "--delay", paramLabel = "SECONDS", defaultValue = "0",
            description = "Pause between chunks of a download, e.g. 0.5; 0 for none (env DELAY, default: ${DEFAULT-VALUE}).")
    BigDecimal delay;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
            description = "Address to listen on (env HOST, default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port to listen on; 0 picks a free port (env PORT, default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--hash-pattern", paramLabel = "REGEX", defaultValue = "[A-Za-z0-9_-]{1,128}",
            description = "What the folder name in a link must match in full (env HASH_PATTERN, default: ${DEFAULT-VALUE}).")
    String hashPattern;

    @Option(names = "--include-hidden", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Put files and folders whose name starts with '.' into archives (env INCLUDE_HIDDEN=1).")
    boolean includeHidden;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Close a connection that sends no request for this long (keep-alive), or whose request"
                    + " head takes longer than this to arrive (env IDLE_TIMEOUT, default: ${DEFAULT-VALUE}).")
    BigDecimal idleTimeout;

    @Option(names = "--send-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Drop a download whose client takes no byte for this long, freeing its files"
                    + " (env SEND_TIMEOUT, default: ${DEFAULT-VALUE}).")
    BigDecimal sendTimeout;

    @Option(names = "--admin-port", paramLabel = "PORT",
            description = "Serve /metrics and /healthz on this port only, not on --port, so that they need not be"
                    + " public; 0 picks a free port (env ADMIN_PORT, default: the same port as the archives).")
    Integer adminPort;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM or SIGINT, stop accepting and let running downloads finish for up to this"
                    + " long, then close the rest (env SHUTDOWN_TIMEOUT, default: ${DEFAULT-VALUE}).")
    BigDecimal shutdownTimeout;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "combined",
            description = "Access log lines (on standard output): combined (as nginx's) or json"
                    + " (env LOG_FORMAT, default: ${DEFAULT-VALUE}).")
    String logFormat;

    @Option(names = "--trusted-proxies", paramLabel = "ADDRESSES", defaultValue = "127.0.0.0/8,::1",
            description = "Comma-separated addresses or CIDR blocks of proxies (nginx) whose X-Real-IP or"
                    + " X-Forwarded-For name the client in the access log (env TRUSTED_PROXIES,"
                    + " default: ${DEFAULT-VALUE}; empty for none).")
    String trustedProxies;

    @Option(names = "--max-downloads", paramLabel = "N", defaultValue = "1000",
            description = "Downloads under way at once; more are answered 503 with Retry-After"
                    + " (env MAX_DOWNLOADS, default: ${DEFAULT-VALUE}).")
    int maxDownloads;

    @Option(names = "--max-downloads-per-client", paramLabel = "N", defaultValue = "16",
            description = "Downloads under way at once for one client address (download managers open several)"
                    + " (env MAX_DOWNLOADS_PER_CLIENT, default: ${DEFAULT-VALUE}).")
    int maxDownloadsPerClient;

    @Option(names = "--max-url-length", paramLabel = "BYTES", defaultValue = "4096",
            description = "Longest request line; longer is answered 414 (env MAX_URL_LENGTH, default: ${DEFAULT-VALUE}).")
    int maxUrlLength;

    @Option(names = "--max-header-size", paramLabel = "BYTES", defaultValue = "8192",
            description = "Most bytes of request headers; more is answered 431 (env MAX_HEADER_SIZE,"
                    + " default: ${DEFAULT-VALUE}).")
    int maxHeaderSize;

    @Option(names = "--rate-limit", paramLabel = "BYTES/s", defaultValue = "0",
            description = "Most bytes per second for one download, e.g. 500k or 2M (binary units); 0 for no limit"
                    + " (env RATE_LIMIT, default: ${DEFAULT-VALUE}).")
    String rateLimit;

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
    BigDecimal s3Timeout;

    static String environmentVariable(String option) {
        return ENVIRONMENT.get(option);
    }

    /**
     * Parses and checks the command line against the given environment.
     *
     * @throws ParameterException for a value that is malformed or out of range; its message names the option
     */
    public static Config parse(String[] args, Map<String, String> environment) {
        CommandLine commandLine = commandLine(environment);
        commandLine.parseArgs(args);
        return commandLine.<Options>getCommand().toConfig();
    }

    /**
     * Parses the command line and hands the config to {@code service}; prints help or
     * version if asked. Returns the exit code: the service's, 0 after help, 2 for a bad value.
     */
    public static int run(String[] args, Map<String, String> environment, ToIntFunction<Config> service,
                          PrintWriter out, PrintWriter err) {
        CommandLine commandLine = commandLine(environment);
        commandLine.setOut(out);
        commandLine.setErr(err);
        // One clear line for a bad value, not the whole usage text.
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println("download-service: " + e.getMessage());
            err.println("Try 'download-service --help' for the options.");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        commandLine.setExecutionStrategy(parseResult -> {
            Integer helpExit = CommandLine.executeHelpRequest(parseResult);
            if (helpExit != null) {
                return helpExit;
            }
            return service.applyAsInt(commandLine.<Options>getCommand().toConfig());
        });
        return commandLine.execute(args);
    }

    private static CommandLine commandLine(Map<String, String> environment) {
        CommandLine commandLine = new CommandLine(new Options());
        commandLine.setDefaultValueProvider(new EnvironmentDefaults(environment));
        return commandLine;
    }

    private Config toConfig() {
        Checks checks = new Checks(spec.commandLine());
        Duration checkedDelay = checks.seconds("--delay", delay, BigDecimal.ZERO);
        Duration checkedIdleTimeout = checks.seconds("--idle-timeout", idleTimeout, BigDecimal.ONE);
        Duration checkedSendTimeout = checks.seconds("--send-timeout", sendTimeout, BigDecimal.ONE);
        if (checkedDelay.compareTo(checkedSendTimeout) >= 0) {
            // Every throttled download would look stalled between its chunks.
            throw checks.invalid("--delay", "less than --send-timeout (" + sendTimeout.toPlainString() + " s)",
                    delay.toPlainString());
        }
        // Checked in this order, as before the grouping: of several bad values, the first here is the one named.
        Config.Root root = checkedRoot(checks);
        String checkedHost = checkedHost(checks);
        int checkedPort = checkedPort(checks, "--port", port);
        Config.Archives archives = new Config.Archives(root, checkedHashPattern(checks), includeHidden, checkedDelay);
        Config.Listen listen = new Config.Listen(checkedHost, checkedPort,
                adminPort == null ? Config.SAME_PORT : checkedPort(checks, "--admin-port", adminPort));
        Config.Timeouts timeouts = new Config.Timeouts(checkedIdleTimeout, checkedSendTimeout,
                checks.seconds("--shutdown-timeout", shutdownTimeout, BigDecimal.ZERO));
        Config.Logging logging = new Config.Logging(debug, checkedLogFormat(checks), checkedTrustedProxies(checks));
        return new Config(archives, listen, timeouts, logging, new Config.Limits(
                checkedCount(checks, "--max-downloads", maxDownloads, 1, 1_000_000),
                checkedCount(checks, "--max-downloads-per-client", maxDownloadsPerClient, 1, 1_000_000),
                checkedCount(checks, "--max-url-length", maxUrlLength, 256, 1 << 20),
                checkedCount(checks, "--max-header-size", maxHeaderSize, 1024, 1 << 20), checkedRateLimit(checks)));
    }

    /** A number of bytes with an optional k, M or G (1024-based); 0, or at least 1k. */
    private long checkedRateLimit(Checks checks) {
        Matcher m = RATE.matcher(rateLimit.strip());
        if (m.matches()) {
            int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "k" -> 10;
                case "m" -> 20;
                case "g" -> 30;
                default -> 0;
            };
            long number = Long.parseLong(m.group(1));
            if (number <= (1L << 40) >> shift) { // no overflow in the shift
                long bytes = number << shift;
                if (bytes == 0 || bytes >= 1024) {
                    return bytes;
                }
            }
        }
        throw checks.invalid("--rate-limit", "0 or a rate from 1k to 1024G bytes per second, such as 500k or 2M",
                rateLimit);
    }

    private int checkedCount(Checks checks, String option, int value, int least, int most) {
        if (value < least || value > most) {
            throw checks.invalid(option, "a number from " + least + " to " + most, Integer.toString(value));
        }
        return value;
    }

    private Config.LogFormat checkedLogFormat(Checks checks) {
        try {
            return Config.LogFormat.valueOf(logFormat.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw checks.invalid("--log-format", "combined or json", logFormat);
        }
    }

    /** Literal addresses only (a name would need DNS at start-up), each with an optional prefix length. */
    private List<String> checkedTrustedProxies(Checks checks) {
        List<String> blocks = new ArrayList<>();
        for (String block : trustedProxies.split(",")) {
            String trimmed = block.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            int slash = trimmed.indexOf('/');
            String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
            int maxPrefix = NetUtil.isValidIpV4Address(address) ? 32 : NetUtil.isValidIpV6Address(address) ? 128 : -1;
            boolean prefixOk = slash < 0 || trimmed.substring(slash + 1).matches("\\d{1,3}")
                    && Integer.parseInt(trimmed.substring(slash + 1)) <= maxPrefix;
            if (maxPrefix < 0 || !prefixOk) {
                throw checks.invalid("--trusted-proxies", "IP addresses or CIDR blocks separated by commas", trimmed);
            }
            blocks.add(trimmed);
        }
        return blocks;
    }

    private Config.Root checkedRoot(Checks checks) {
        if (path.startsWith("s3://")) {
            return checkedObjectStore(checks);
        }
        for (String option : new String[] {"--s3-endpoint", "--s3-region", "--s3-path-style", "--s3-timeout"}) {
            if (checks.given(option)) {
                throw checks.invalid(option, "an s3:// --path to go with it", "the local --path " + path);
            }
        }
        Path directory;
        try {
            directory = Path.of(path);
        } catch (InvalidPathException e) {
            throw checks.invalid("--path", "a directory", path + " (" + e.getReason() + ")");
        }
        if (!Files.isDirectory(directory)) {
            throw checks.invalid("--path", "an existing directory or s3://bucket/prefix", path);
        }
        if (!Files.isReadable(directory) || !Files.isExecutable(directory)) {
            throw checks.invalid("--path", "a readable directory", path + " (permission denied)");
        }
        return new Config.LocalDirectory(directory.toAbsolutePath().normalize());
    }

    private Config.ObjectStore checkedObjectStore(Checks checks) {
        Matcher m = S3_PATH.matcher(path);
        if (!m.matches()) {
            throw checks.invalid("--path", "s3://bucket or s3://bucket/prefix, with a bucket name of 3 to 63 lower-case"
                    + " letters, digits, dots and hyphens", path);
        }
        String prefix = m.group(2) == null ? "" : m.group(2);
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix += "/";
        }
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
            throw checks.invalid("--s3-region", "a region name such as eu-west-1", region.get());
        }
        boolean pathStyle = s3PathStyle != null ? s3PathStyle : endpoint.isPresent();
        return new Config.ObjectStore(m.group(1), prefix, new Config.S3Connection(endpoint, region, pathStyle,
                checks.seconds("--s3-timeout", s3Timeout, BigDecimal.ONE)));
    }

    private String checkedHost(Checks checks) {
        if (host.isBlank()) {
            throw checks.invalid("--host", "an address or host name", "an empty value");
        }
        return host;
    }

    private int checkedPort(Checks checks, String option, int value) {
        if (value < 0 || value > 65_535) {
            throw checks.invalid(option, "a port from 0 to 65535", Integer.toString(value));
        }
        return value;
    }

    private Pattern checkedHashPattern(Checks checks) {
        try {
            return Pattern.compile(hashPattern);
        } catch (PatternSyntaxException e) {
            throw checks.invalid("--hash-pattern", "a regular expression",
                    hashPattern + " (" + e.getDescription() + ")");
        }
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Options.class.getPackage().getImplementationVersion();
            return new String[] {"download-service " + (version == null ? "(development build)" : version)};
        }
    }
}
