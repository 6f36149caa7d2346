package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The packaged jar started as an operator starts it, as a real process; closing it sends
 * SIGTERM and waits for it to exit.
 */
public record ServiceProcess(Process process, String root, int port, Queue<String> log) implements AutoCloseable {

    private static final Path JAR = Path.of("target/download-service.jar");
    private static final Pattern LISTENING = Pattern.compile("serving (.+) on http://[^:]+:(\\d+)/");
    private static final List<String> SERVICE_VARIABLES = List.of("PHOTOS_PATH", "DEBUG", "DELAY", "HOST", "PORT",
            "HASH_PATTERN", "INCLUDE_HIDDEN", "IDLE_TIMEOUT", "SEND_TIMEOUT", "ADMIN_PORT", "REUSE_PORT", "SHUTDOWN_TIMEOUT", "LOG_FORMAT", "ACCESS_LOG", "TRUSTED_PROXIES", "MAX_DOWNLOADS",
            "MAX_DOWNLOADS_PER_CLIENT", "MAX_URL_LENGTH", "MAX_HEADER_SIZE", "RATE_LIMIT", "S3_ENDPOINT", "S3_REGION",
            "S3_PATH_STYLE", "S3_TIMEOUT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
            "AWS_REGION");

    /**
     * {@code java [jvmOptions] -jar download-service.jar args}, with none of the service's variables but {@code env},
     * and, unless {@code env} gives its own, {@code HASH_PATTERN} that serves short names too, as
     * {@link TestService} does: tests name folders for what they hold. The variable, not the option, so that a
     * test's own --hash-pattern still wins.
     */
    public static ProcessBuilder command(String java, Map<String, String> env, String... args) {
        return command(java, List.of(), env, args);
    }

    public static ProcessBuilder command(String java, List<String> jvmOptions, Map<String, String> env, String... args) {
        ProcessBuilder builder = commandAsReleased(java, jvmOptions, env, args);
        builder.environment().putIfAbsent("HASH_PATTERN", TestService.ANY_NAME);
        return builder;
    }

    /** The same with the released defaults of what {@code env} and {@code args} do not set, --hash-pattern's too. */
    public static ProcessBuilder commandAsReleased(String java, List<String> jvmOptions, Map<String, String> env,
                                                   String... args) {
        assumeTrue(Files.isRegularFile(JAR), "the jar is built by 'package', before the integration tests");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeAll(SERVICE_VARIABLES);
        builder.environment().putAll(env);
        return builder;
    }

    public static ServiceProcess start(String java, Map<String, String> env, String... args) throws Exception {
        return start(command(java, env, args));
    }

    /** Starts the command and waits for the line that says where it listens. */
    public static ServiceProcess start(ProcessBuilder command) throws Exception {
        Process process = command.redirectErrorStream(true).start();
        BufferedReader log = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        for (String line; (line = log.readLine()) != null; ) {
            seen.add(line);
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                // Keep reading the log so the process never blocks on a full pipe, and keep it for the test.
                Queue<String> lines = new ConcurrentLinkedQueue<>(seen);
                Thread drain = new Thread(() -> {
                    try {
                        log.lines().forEach(lines::add);
                    } catch (UncheckedIOException closed) {
                        // The process was destroyed, which closes its output: the log ends there.
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return new ServiceProcess(process, m.group(1), Integer.parseInt(m.group(2)), lines);
            }
        }
        throw new AssertionError("the service did not start; it said: " + seen);
    }

    public Path download(String folder, Path file) throws Exception {
        HttpResponse<Path> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/archive/" + folder + "/")).build(),
                HttpResponse.BodyHandlers.ofFile(file));
        assertThat(response.statusCode()).isEqualTo(200);
        return file;
    }

    /** The first log line that contains {@code text}, waiting up to 20 s for it. */
    public String awaitLog(String text) throws InterruptedException {
        for (int i = 0; i < 400; i++) {
            for (String line : log) {
                if (line.contains(text)) {
                    return line;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("expected a log line with \"" + text + "\", found " + log);
    }

    /** Sends a signal (TERM, INT) with kill(1): unlike {@link Process#destroy}, it leaves the log readable. */
    public void signal(String name) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor()).isZero();
    }

    /** Resident memory of the process, in KiB. */
    public long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("expected VmRSS in /proc/" + process.pid() + "/status, found none");
    }

    public long openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + process.pid() + "/fd"))) {
            return fds.count();
        }
    }

    public long threads() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + process.pid() + "/task"))) {
            return tasks.count();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exits on SIGTERM").isTrue();
    }
}
