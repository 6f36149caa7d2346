package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.downloadservice.testing.BadValue;
import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.S3Server;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.ZipReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packaged jar as an operator runs it: a real process on each JDK the machine has
 * (the default 17 and Temurin 25), real environment variables, real exit codes.
 */
class JarIT {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** Should a bad value be missed, the service it starts listens where it disturbs nothing. */
    private static final Map<String, String> SAFE_LISTENER = Map.of("HOST", "127.0.0.1", "PORT", "0");
    /** A folder of test_photos/, under its hash from the original service. */
    private static final String SAMPLE = "3bea29ccabbbf64bdebcc055319c5745";

    @TempDir
    Path dir;

    static Stream<String> jdks() throws IOException {
        List<String> javas = new ArrayList<>(List.of(JAVA));
        try (Stream<Path> installed = Files.list(Path.of("/usr/lib/jvm"))) {
            installed.filter(p -> p.getFileName().toString().startsWith("temurin-25"))
                    .map(p -> p.resolve("bin/java").toString()).forEach(javas::add);
        }
        return javas.stream();
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void jar_noPathGiven_servesTheSamplePhotos(String java) throws Exception {
        try (ServiceProcess service = ServiceProcess.start(ServiceProcess.commandAsReleased(java, List.of(), Map.of(),
                "--host", "127.0.0.1", "--port", "0"))) {
            Path zip = service.download(SAMPLE, dir.resolve("sample.zip"));

            assertThat(service.root()).isEqualTo(Path.of("test_photos").toAbsolutePath().toString());
            ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(Path.of("test_photos", SAMPLE)));
        }
    }

    /**
     * The released default --hash-pattern, as an operator starts the jar: a folder whose name is short enough to
     * guess is never served, though it is there; the start-up log counts such folders and names none.
     */
    @Test
    void jar_defaultHashPattern_servesOnlyNamesOf16OrMore_countsTheOthersAtStart() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        for (String name : List.of("notahash", "fifteen-chars-1", "sixteen-chars-01")) {
            Files.writeString(Files.createDirectory(root.resolve(name)).resolve("photo.jpg"), name);
        }
        Files.writeString(root.resolve("not-a-folder-at-all.txt"), "a file is no folder");

        try (ServiceProcess service = ServiceProcess.start(ServiceProcess.commandAsReleased(JAVA, List.of(), Map.of(),
                "--path", root.toString(), "--host", "127.0.0.1", "--port", "0"))) {
            assertThat(service.awaitLog("folders under the root")).contains("WARN")
                    .contains("folders under the root whose names do not match --hash-pattern (env HASH_PATTERN),"
                            + " so are never served: 2 (1 match)");
            // Before any request: the access log names what was asked for.
            assertThat(service.log()).noneMatch(line -> line.contains("notahash") || line.contains("fifteen-chars"));
            HttpClient client = HttpClient.newHttpClient();
            for (String name : List.of("notahash", "fifteen-chars-1")) {
                assertThat(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                        + "/archive/" + name + "/")).build(), HttpResponse.BodyHandlers.discarding()).statusCode())
                        .as(name).isEqualTo(404);
            }
            ZipReader.UNZIP_TEST.check(service.download("sixteen-chars-01", dir.resolve("sixteen.zip")),
                    ExpectedEntry.fromFolder(root.resolve("sixteen-chars-01")));
        }
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void jar_pathInEnvironmentAndFlag_flagWinsOverEnvironment(String java) throws Exception {
        Path fromEnv = Files.createDirectories(dir.resolve("env/gallery-0123456789"));
        Path fromFlag = Files.createDirectories(dir.resolve("flag/gallery-0123456789"));
        Files.writeString(fromFlag.resolve("flag.txt"), "flag");
        Files.writeString(fromEnv.resolve("env.txt"), "env");

        try (ServiceProcess byEnv = ServiceProcess.start(java, Map.of("PHOTOS_PATH", dir.resolve("env").toString(), "PORT", "0",
                "HOST", "127.0.0.1"))) {
            assertThat(byEnv.root()).isEqualTo(dir.resolve("env").toString());
        }
        try (ServiceProcess byFlag = ServiceProcess.start(java, Map.of("PHOTOS_PATH", dir.resolve("env").toString(), "PORT", "8",
                "HOST", "127.0.0.1"), "--path", dir.resolve("flag").toString(), "--port", "0")) {
            Path zip = byFlag.download("gallery-0123456789", dir.resolve("a.zip"));
            ZipReader.PYTHON_ZIPFILE.check(zip, ExpectedEntry.fromFolder(fromFlag));
        }
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void jar_badPortInEnvironment_oneLineAndExit2(String java) throws Exception {
        Process process = ServiceProcess.command(java, Map.of("PORT", "70000")).start();

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(err.lines().findFirst().orElseThrow())
                .isEqualTo("download-service: invalid value for --port (env PORT): expected a port from 0 to 65535, found 70000");
    }

    /** The commit is the one the jar was built from: HEAD, as the build runs right before the tests. */
    @ParameterizedTest
    @MethodSource("jdks")
    void jar_version_printsVersionAndCommitAndExits0(String java) throws Exception {
        Commands.Result version = Commands.run(TIMEOUT, ServiceProcess.command(java, Map.of(), "--version"));

        assertThat(version.exit()).as(version.describe()).isZero();
        assertThat(version.out()).matches("download-service \\S+ \\(commit " + Pattern.quote(headCommit())
                + "\\)\n");
    }

    /** After an upgrade, which build runs: the start-up log and /metrics say the same as --version. */
    @Test
    void jar_started_logsTheBuildAndExportsBuildInfo() throws Exception {
        String version = Commands.run(TIMEOUT, ServiceProcess.command(JAVA, Map.of(), "--version")).out().strip();
        Matcher build = Pattern.compile("download-service (\\S+) \\(commit (\\S+)\\)").matcher(version);
        assertThat(build.matches()).as(version).isTrue();

        try (ServiceProcess service = ServiceProcess.start(JAVA, Map.of(), "--host", "127.0.0.1", "--port", "0")) {
            assertThat(service.log()).filteredOn(line -> line.contains(version)).hasSize(1)
                    .allMatch(line -> line.contains("INFO"));
            assertThat(ServiceMetrics.scrape(service.port()).lines()).contains("build_info{commit=\"" + build.group(2)
                    + "\",version=\"" + build.group(1) + "\"} 1");
        }
    }

    /**
     * A sample of the bad values that {@code OptionsTest} tries for every option in-process: here through the real
     * jar, so the refusal's one line, its exit code and the silence of the log are what an operator sees.
     */
    static Stream<BadValue> badValuesSample() {
        return BadValue.forEveryOption().filter(bad -> Set.of("--host", "--admin-port", "--secure-link-secret",
                "--access-log", "--include-hidden").contains(bad.option()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValuesSample")
    void jar_badValueAsArgument_oneLineNamingOptionAndVariableAndExit2(BadValue bad) throws Exception {
        assertRefused(bad, Commands.run(TIMEOUT, ServiceProcess.command(JAVA, SAFE_LISTENER, bad.asArguments())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValuesSample")
    void jar_badValueInEnvironment_oneLineNamingOptionAndVariableAndExit2(BadValue bad) throws Exception {
        Map<String, String> env = new HashMap<>(SAFE_LISTENER);
        env.put(bad.variable(), bad.value());

        assertRefused(bad, Commands.run(TIMEOUT, ServiceProcess.command(JAVA, env)));
    }

    private static void assertRefused(BadValue bad, Commands.Result result) {
        bad.assertRefused(result.exit(), result.out(), result.err(), result.describe());
    }

    /** Checks all it can without binding: the port it is given is taken, and it still says ok. */
    @Test
    void jar_checkConfig_goodConfig_oneLineAndExit0WithoutBinding() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Commands.Result result = Commands.run(TIMEOUT, ServiceProcess.command(JAVA, Map.of("PORT",
                    Integer.toString(taken.getLocalPort())), "--check-config", "--host", "127.0.0.1"));

            assertThat(result.exit()).as(result.describe()).isZero();
            assertThat(result.err()).isEmpty();
            assertThat(result.out()).isEqualTo("download-service: configuration ok: "
                    + Path.of("test_photos").toAbsolutePath() + ", listening on 127.0.0.1:" + taken.getLocalPort() + "\n");
        }
    }

    /** The S3 settings are checked, the store is not reached: its port sees no connection. */
    @Test
    void jar_checkConfig_s3Path_okWithoutReachingTheStore() throws Exception {
        try (ServerSocket store = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Commands.Result result = Commands.run(TIMEOUT, ServiceProcess.command(JAVA, Map.of(
                    "S3_ENDPOINT", "http://127.0.0.1:" + store.getLocalPort()), "--check-config",
                    "--path", "s3://photos/galleries"));

            assertThat(result.exit()).as(result.describe()).isZero();
            assertThat(result.out()).startsWith("download-service: configuration ok: s3://photos/galleries/ at http://");
            store.setSoTimeout(200);
            assertThatThrownBy(store::accept).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void jar_checkConfig_badValue_theSameLineAndExit2() throws Exception {
        Commands.Result result = Commands.run(TIMEOUT, ServiceProcess.command(JAVA,
                Map.of("ADMIN_PORT", "8081   # /metrics here"), "--check-config"));

        assertThat(result.exit()).as(result.describe()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("download-service: invalid value for --admin-port (env ADMIN_PORT):"
                + " expected a port from 0 to 65535, found 8081   # /metrics here (systemd keeps text after # as part"
                + " of the value: put a comment on a line of its own)\n");
    }

    /** HEAD's short hash, or "unknown" where the sources are not a git checkout (as the build then says). */
    private static String headCommit() throws Exception {
        Commands.Result head = Commands.run(TIMEOUT, "git", "rev-parse", "--short", "HEAD");
        return head.exit() == 0 ? head.out().strip() : "unknown";
    }

    /** The jar, with the SDK shaded in, on each JDK: an S3 folder, credentials from the environment only. */
    @ParameterizedTest
    @MethodSource("jdks")
    void jar_s3PathWithCredentialsFromTheEnvironment_servesTheBucket(String java) throws Exception {
        try (S3Server s3 = S3Server.start(null)) {
            s3.createBucket("photos");
            s3.put("photos", "galleries/gallery-0123456789/Фото.jpg", "photo".getBytes(StandardCharsets.UTF_8), false);
            try (ServiceProcess service = ServiceProcess.start(java, Map.of(
                    "PHOTOS_PATH", "s3://photos/galleries", "S3_ENDPOINT", s3.endpoint().toString(),
                    "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY),
                    "--host", "127.0.0.1", "--port", "0")) {
                Path zip = service.download("gallery-0123456789", dir.resolve("s3-" + Math.abs(java.hashCode()) + ".zip"));

                ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFiles(
                        Map.of("Фото.jpg", "photo".getBytes(StandardCharsets.UTF_8))));
            }
        }
    }
}
