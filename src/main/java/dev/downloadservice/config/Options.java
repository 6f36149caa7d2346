package dev.downloadservice.config;

import io.netty.util.NetUtil;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    /** A host name as DNS allows it (RFC 1123): labels of letters, digits and inner hyphens, joined by dots. */
    private static final Pattern HOST_NAME =
            Pattern.compile("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");

    /** Option → environment variable. The first three are the original service's. */
    private static final Map<String, String> ENVIRONMENT = Map.ofEntries(
            Map.entry("--path", "PHOTOS_PATH"),
            Map.entry("--debug", "DEBUG"),
            Map.entry("--delay", "DELAY"),
            Map.entry("--host", "HOST"),
            Map.entry("--port", "PORT"),
            Map.entry("--hash-pattern", "HASH_PATTERN"),
            Map.entry("--include-hidden", "INCLUDE_HIDDEN"),
            Map.entry("--entry-names", "ENTRY_NAMES"),
            Map.entry("--idle-timeout", "IDLE_TIMEOUT"),
            Map.entry("--send-timeout", "SEND_TIMEOUT"),
            Map.entry("--admin-port", "ADMIN_PORT"),
            Map.entry("--reuse-port", "REUSE_PORT"),
            Map.entry("--shutdown-timeout", "SHUTDOWN_TIMEOUT"),
            Map.entry("--log-format", "LOG_FORMAT"),
            Map.entry("--access-log", "ACCESS_LOG"),
            Map.entry("--trusted-proxies", "TRUSTED_PROXIES"),
            Map.entry("--max-downloads", "MAX_DOWNLOADS"),
            Map.entry("--max-downloads-per-client", "MAX_DOWNLOADS_PER_CLIENT"),
            Map.entry("--max-url-length", "MAX_URL_LENGTH"),
            Map.entry("--max-header-size", "MAX_HEADER_SIZE"),
            Map.entry("--rate-limit", "RATE_LIMIT"),
            Map.entry("--max-form-size", "MAX_FORM_SIZE"),
            Map.entry("--s3-endpoint", "S3_ENDPOINT"),
            Map.entry("--s3-region", "S3_REGION"),
            Map.entry("--s3-path-style", "S3_PATH_STYLE"),
            Map.entry("--s3-timeout", "S3_TIMEOUT"),
            Map.entry("--secure-link-secret", "SECURE_LINK_SECRET"),
            Map.entry("--secure-link-secret-file", "SECURE_LINK_SECRET_FILE"),
            Map.entry("--secure-link-grace", "SECURE_LINK_GRACE"),
            Map.entry("--max-archive-size", "MAX_ARCHIVE_SIZE"),
            Map.entry("--max-archive-entries", "MAX_ARCHIVE_ENTRIES"));

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
    String delay;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
            description = "Address to listen on (env HOST, default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port to listen on; 0 picks a free port (env PORT, default: ${DEFAULT-VALUE}).")
    String port;

    @Option(names = "--hash-pattern", paramLabel = "REGEX", defaultValue = "[A-Za-z0-9_-]{16,128}",
            description = "What the folder name in a link must match in full; a folder whose name does not is never"
                    + " served. The default admits only names too long to guess (env HASH_PATTERN, default:"
                    + " ${DEFAULT-VALUE}).")
    String hashPattern;

    @Option(names = "--include-hidden", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Put files and folders whose name starts with '.' into archives (env INCLUDE_HIDDEN=1).")
    boolean includeHidden;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Close a connection that sends no request for this long (keep-alive), or whose request"
                    + " head takes longer than this to arrive (env IDLE_TIMEOUT, default: ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--send-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Drop a download whose client takes no byte for this long, freeing its files"
                    + " (env SEND_TIMEOUT, default: ${DEFAULT-VALUE}).")
    String sendTimeout;

    @Option(names = "--admin-port", paramLabel = "PORT",
            description = "Serve /metrics and /healthz on this port only, not on --port, so that they need not be"
                    + " public; 0 picks a free port (env ADMIN_PORT, default: the same port as the archives).")
    String adminPort;

    @Option(names = "--reuse-port", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Let a new process of the same user listen on the same ports while this one drains"
                    + " (SO_REUSEPORT): an upgrade that refuses no connection, docs/deploy.md (env REUSE_PORT=1).")
    boolean reusePort;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM or SIGINT, stop accepting and let running downloads finish for up to this"
                    + " long, then close the rest (env SHUTDOWN_TIMEOUT, default: ${DEFAULT-VALUE}).")
    String shutdownTimeout;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "combined",
            description = "Access log lines (on standard output): combined (as nginx's) or json"
                    + " (env LOG_FORMAT, default: ${DEFAULT-VALUE}).")
    String logFormat;

    @Option(names = "--access-log", paramLabel = "FILE",
            description = "Write the access log to this file (appending) instead of standard output; SIGHUP"
                    + " reopens it, for logrotate (env ACCESS_LOG, default: standard output).")
    String accessLog;

    @Option(names = "--trusted-proxies", paramLabel = "ADDRESSES", defaultValue = "127.0.0.0/8,::1",
            description = "Comma-separated addresses or CIDR blocks of proxies (nginx) whose X-Real-IP or"
                    + " X-Forwarded-For name the client in the access log (env TRUSTED_PROXIES,"
                    + " default: ${DEFAULT-VALUE}; empty for none).")
    String trustedProxies;

    // The help lists options in declaration order, a mixin's where its field is: so the groups that close the
    // help can be mixins, while those above, which the help interleaves, stay fields here.
    @Mixin
    EntryNameOptions entryNames;

    @Mixin
    LimitOptions limits;

    @Mixin
    FormOptions forms;

    @Mixin
    S3Options s3;

    @Mixin
    SignedLinkOptions signedLinks;

    @Mixin
    ArchiveLimitOptions archiveLimits;

    @Option(names = "--check-config",
            description = "Check every option, the folder (or the S3 settings, without reaching the store) and the"
                    + " host, as start-up would, without binding a port; print one line and exit: 0 if all is"
                    + " well, 2 if not.")
    boolean checkConfig;

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
     * Parses the command line and hands the config to {@code service}; prints help, version or the result of
     * --check-config if asked. Returns the exit code: the service's, 0 after help or a good --check-config,
     * 2 for a bad value, after one line on {@code err} that names it.
     */
    public static int run(String[] args, Map<String, String> environment, ToIntFunction<Config> service,
                          PrintWriter out, PrintWriter err) {
        CommandLine commandLine = commandLine(environment);
        commandLine.setOut(out);
        commandLine.setErr(err);
        // One line, as the journal shows it, not the whole usage text.
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println("download-service: " + Checks.oneLine(e));
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        commandLine.setExecutionStrategy(parseResult -> {
            Integer helpExit = CommandLine.executeHelpRequest(parseResult);
            if (helpExit != null) {
                return helpExit;
            }
            Options options = commandLine.getCommand();
            Config config = options.toConfig();
            if (options.checkConfig) {
                out.println("download-service: configuration ok: " + summary(config));
                out.flush();
                return CommandLine.ExitCode.OK;
            }
            return service.applyAsInt(config);
        });
        return commandLine.execute(args);
    }

    /** What a good --check-config found, in one line. */
    private static String summary(Config config) {
        Config.Listen listen = config.listen();
        return config.archives().root() + (config.archives().root() instanceof Config.ObjectStore
                ? " (the store is reached only at start-up)" : "")
                + ", listening on " + listen.host() + ":" + listen.port()
                + (config.separateAdminPort() ? ", /metrics and /healthz on port " + listen.adminPort() : "");
    }

    private static CommandLine commandLine(Map<String, String> environment) {
        CommandLine commandLine = new CommandLine(new Options());
        commandLine.setDefaultValueProvider(new EnvironmentDefaults(environment));
        commandLine.registerConverter(Boolean.class, Checks::flag);
        commandLine.registerConverter(Boolean.TYPE, Checks::flag);
        return commandLine;
    }

    private Config toConfig() {
        // The order of the checks decides which of several bad values is named; it is kept as released.
        Checks checks = new Checks(spec.commandLine());
        Duration checkedDelay = checks.seconds("--delay", delay, BigDecimal.ZERO);
        Duration checkedIdleTimeout = checks.seconds("--idle-timeout", idleTimeout, BigDecimal.ONE);
        Duration checkedSendTimeout = checks.seconds("--send-timeout", sendTimeout, BigDecimal.ONE);
        if (checkedDelay.compareTo(checkedSendTimeout) >= 0) {
            // Every throttled download would look stalled between its chunks.
            throw checks.invalid("--delay", "less than --send-timeout (" + sendTimeout.strip() + " s)", delay);
        }
        Config.Root root = checkedRoot(checks);
        String checkedHost = checkedHost(checks);
        int checkedPort = checks.port("--port", port);
        Config.Archives archives = new Config.Archives(root, checkedHashPattern(checks), includeHidden,
                entryNames.checked(checks), checkedDelay);
        Config.Listen listen = new Config.Listen(checkedHost, checkedPort, checkedAdminPort(checks, checkedPort),
                reusePort);
        Config.Timeouts timeouts = new Config.Timeouts(checkedIdleTimeout, checkedSendTimeout,
                checks.seconds("--shutdown-timeout", shutdownTimeout, BigDecimal.ZERO));
        Config.Logging logging = new Config.Logging(debug, checkedLogFormat(checks), TrustedProxies.checked(trustedProxies, checks),
                checkedAccessLog(checks));
        return new Config(archives, listen, timeouts, logging, limits.checked(checks), forms.checked(checks),
                signedLinks.checked(checks), archiveLimits.checked(checks));
    }

    private Config.LogFormat checkedLogFormat(Checks checks) {
        try {
            return Config.LogFormat.valueOf(logFormat.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw checks.invalid("--log-format", "combined or json", logFormat);
        }
    }

    /**
     * A file the service may append to, or may create in an existing folder: checked here, so that --check-config
     * finds it too. Opening it at start-up can still fail (the disk full, the folder gone since), which Main reports.
     */
    private Optional<Path> checkedAccessLog(Checks checks) {
        if (accessLog == null) {
            return Optional.empty();
        }
        String expected = "a file it may append to, or create in an existing folder it may write";
        Path file;
        try {
            file = Path.of(checks.withoutInlineComment("--access-log", accessLog, expected).strip()).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw checks.invalid("--access-log", expected, accessLog + " (" + e.getReason() + ")");
        }
        boolean appendable = Files.exists(file)
                ? Files.isRegularFile(file) && Files.isWritable(file)
                : Files.isDirectory(file.getParent()) && Files.isWritable(file.getParent());
        if (!appendable) {
            throw checks.invalid("--access-log", expected, accessLog);
        }
        return Optional.of(file);
    }

    private Config.Root checkedRoot(Checks checks) {
        checks.withoutInlineComment("--path", path, "an existing directory or s3://bucket/prefix");
        Config.S3Connection connection = s3.checkedConnection(checks);
        if (S3Options.isS3Path(path)) {
            return S3Options.checkedObjectStore(path, connection, checks);
        }
        s3.rejectNextTo(path, checks);
        Path directory;
        try {
            directory = Path.of(path);
        } catch (InvalidPathException e) {
            throw checks.invalid("--path", "a directory", path + " (" + e.getReason() + ")");
        }
        if (!Files.isDirectory(directory)) {
            throw checks.invalid("--path", "an existing directory or s3://bucket/prefix", path + Checks.hiddenByTheUnit(directory));
        }
        if (!Files.isReadable(directory) || !Files.isExecutable(directory)) {
            throw checks.invalid("--path", "a readable directory", path
                    + " (permission denied: the service's user must be able to read it, chmod o+rX)");
        }
        return new Config.LocalDirectory(directory.toAbsolutePath().normalize());
    }

    /**
     * An address, or a name resolved now as the bind would resolve it: one that does not resolve is a bad value,
     * found by --check-config too, rather than a failed start. A name that cannot be one is refused before any
     * lookup, which could wait for a DNS server.
     */
    private String checkedHost(Checks checks) {
        String name = host.strip();
        boolean literal = NetUtil.isValidIpV4Address(name) || NetUtil.isValidIpV6Address(name);
        if (!literal && (!HOST_NAME.matcher(name).matches() || new InetSocketAddress(name, 0).isUnresolved())) {
            throw checks.invalid("--host", "an IP address, or a host name that resolves", host);
        }
        return name;
    }

    /** A port apart from the archives' (two listeners on one port would fail to bind), or the same port. */
    private int checkedAdminPort(Checks checks, int archivePort) {
        if (adminPort == null) {
            return Config.SAME_PORT;
        }
        int checked = checks.port("--admin-port", adminPort);
        if (checked != 0 && checked == archivePort) {
            throw checks.invalid("--admin-port", "a port other than --port's, or no --admin-port", adminPort);
        }
        return checked;
    }

    private Pattern checkedHashPattern(Checks checks) {
        try {
            return Pattern.compile(checks.withoutInlineComment("--hash-pattern", hashPattern, "a regular expression"));
        } catch (PatternSyntaxException e) {
            throw checks.invalid("--hash-pattern", "a regular expression",
                    hashPattern + " (" + e.getDescription() + ")");
        }
    }

    /** The version and commit the build recorded. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.current().toString()};
        }
    }
}
