package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.ServiceProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log as an operator reads it, from the real jar: under systemd every line carries its
 * syslog priority (so {@code journalctl -p warning} finds the warnings); the access log can go
 * to a file that logrotate renames, SIGHUP then reopens it, and SIGHUP never stops the service.
 */
class LogsIT {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @TempDir
    Path root;
    @TempDir
    Path logs;

    /** A gallery whose listing warns: a link to a file outside it is left out. */
    @BeforeEach
    void gallery(@TempDir Path outside) throws IOException {
        Path gallery = Files.createDirectory(root.resolve("gallery"));
        Files.writeString(gallery.resolve("a.txt"), "hello");
        Files.createSymbolicLink(gallery.resolve("escape"), Files.writeString(outside.resolve("secret.txt"), "no"));
    }

    @Test
    void outputIsTheJournal_everyLineCarriesItsPriorityAndNoTimeStamp() throws Exception {
        try (ServiceProcess service = ServiceProcess.start(asUnderSystemd(command(Map.of())))) {
            service.download("gallery", logs.resolve("a.zip"));

            assertThat(service.awaitLog("serving ")).startsWith("<6>INFO  [main] Main - serving ");
            assertThat(service.awaitLog("left out escape")).startsWith("<4>WARN  ");
            assertThat(service.awaitLog("GET /archive/gallery/")).startsWith("<6>127.0.0.1 - - [");
        }
    }

    @Test
    void journalStreamOfAnotherStream_plainLinesWithTimeStamps() throws Exception {
        // As a program started from a systemd service inherits the variable, with its output elsewhere.
        try (ServiceProcess service = ServiceProcess.start(command(Map.of("JOURNAL_STREAM", "8:12345")))) {
            service.download("gallery", logs.resolve("a.zip"));

            assertThat(service.awaitLog("serving ")).matches("\\d{4}-\\d\\d-\\d\\dT\\S+ INFO  \\[main] Main - serving .*");
            assertThat(service.awaitLog("left out escape")).matches("\\d{4}-\\d\\d-\\d\\dT\\S+ WARN  .*");
            assertThat(service.awaitLog("GET /archive/gallery/")).startsWith("127.0.0.1 - - [");
        }
    }

    @Test
    void accessLogFile_renamedThenSighup_newLinesGoToANewFile() throws Exception {
        Path file = logs.resolve("access.log");
        Path rotated = logs.resolve("access.log.1");
        try (ServiceProcess service = ServiceProcess.start(command(Map.of("ACCESS_LOG", file.toString())))) {
            service.download("gallery", logs.resolve("a.zip"));
            awaitLines(file, 1);
            Files.move(file, rotated); // what logrotate does, before its postrotate sends SIGHUP

            service.signal("HUP");
            service.awaitLog("SIGHUP: access log reopened: " + file);
            service.download("gallery", logs.resolve("b.zip"));

            assertThat(awaitLines(file, 1)).singleElement().asString().contains("\"GET /archive/gallery/ HTTP/1.1\" 200 ");
            assertThat(Files.readAllLines(rotated)).singleElement().asString().contains("\"GET /archive/gallery/ ");
            assertThat(service.log()).noneMatch(line -> line.contains("GET /archive/"));
            assertThat(service.process().isAlive()).isTrue();
        }
    }

    @Test
    void sighupWithTheAccessLogOnStandardOutput_changesNothing() throws Exception {
        try (ServiceProcess service = ServiceProcess.start(command(Map.of()))) {
            service.signal("HUP");

            service.awaitLog("SIGHUP: nothing to reopen");
            service.download("gallery", logs.resolve("a.zip"));
            assertThat(service.process().isAlive()).isTrue();
        }
    }

    /**
     * A host with loopback alone (a container; here a network namespace of its own, as root):
     * nothing at start-up to warn about, so {@code journalctl -p warning} stays empty.
     */
    @Test
    void hostWithoutANetworkInterface_startsWithoutAWarning() throws Exception {
        assumeTrue(Commands.run(Duration.ofSeconds(10), "unshare", "--net", "true").exit() == 0,
                "a network namespace of its own needs root");
        ProcessBuilder command = command(Map.of());
        List<String> inNamespace = new ArrayList<>(List.of("unshare", "--net", "sh", "-c",
                "ip link set lo up && exec \"$0\" \"$@\""));
        inNamespace.addAll(command.command());

        try (ServiceProcess service = ServiceProcess.start(command.command(inNamespace))) {
            assertThat(service.awaitLog("serving ")).contains("Main - serving ");
            assertThat(service.log()).noneMatch(line -> line.contains("WARN"));
        }
    }

    @Test
    void accessLogThatCannotBeOpened_exit2NamingTheOptionAndItsVariable() throws Exception {
        Process process = command(Map.of("ACCESS_LOG", logs.resolve("no-such-folder/access.log").toString()))
                .redirectErrorStream(true).start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("invalid value for --access-log (env ACCESS_LOG): expected a file it may append to, or create"
                        + " in an existing folder it may write, found " + logs.resolve("no-such-folder/access.log"));
    }

    /** So that {@code journalctl -p warning} says why the service did not start, not only that it failed. */
    @Test
    void badSettingUnderSystemd_refusalCarriesTheErrorPriority() throws Exception {
        Process process = asUnderSystemd(command(Map.of("SHUTDOWN_TIMEOUT", "30 # seconds")))
                .redirectErrorStream(true).start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .startsWith("<3>download-service: invalid value for --shutdown-timeout (env SHUTDOWN_TIMEOUT)")
                .doesNotContain("\n<3>\n");
    }

    private ProcessBuilder command(Map<String, String> env) {
        return ServiceProcess.command(JAVA, env, "--path", root.toString(), "--host", "127.0.0.1", "--port", "0");
    }

    /**
     * As systemd starts a service whose output is the journal: {@code JOURNAL_STREAM} names the
     * device and inode of the stream the service writes to (here the pipe the test reads).
     */
    private static ProcessBuilder asUnderSystemd(ProcessBuilder command) {
        List<String> wrapped = new ArrayList<>(List.of("sh", "-c",
                "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1); exec \"$0\" \"$@\""));
        wrapped.addAll(command.command());
        return command.command(wrapped);
    }

    /** The file's lines once it has at least {@code count}. */
    private static List<String> awaitLines(Path file, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
            if (lines.size() >= count) {
                return lines;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("expected " + count + " lines in " + file + ", found "
                + (Files.exists(file) ? Files.readAllLines(file) : "no file"));
    }
}
