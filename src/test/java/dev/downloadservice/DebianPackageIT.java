package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.DebianNginx;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.SystemdEnvironment;
import dev.downloadservice.testing.ZipReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package as an operator uses it, on this machine: dpkg -i, its files where they belong, its units
 * verified where they are installed, the service (and a second instance) started the way the units start it,
 * archives downloaded, then dpkg --purge, which must leave nothing behind. systemd is not PID 1 here, so the
 * units' own lines are carried out: their Environment= and EnvironmentFile= (read by systemd's parser) and their
 * ExecStart, as an unprivileged user. Installing a package needs root: run as anyone else, this fails (CI runs as
 * root). It purges a download-service package that is already installed.
 */
class DebianPackageIT {

    private static final String PACKAGE = "download-service";
    private static final Path SETTINGS = Path.of("/etc/default/download-service");
    private static final Path INSTANCE_SETTINGS = Path.of("/etc/default/download-service-two");
    private static final Path UNITS = Path.of("/lib/systemd/system");
    private static final Path SITE = Path.of("/etc/nginx/sites-available/download-service");
    private static final Path LOGS = Path.of("/var/log/download-service");
    private static final Path SITE_LINK = Path.of("/etc/nginx/sites-enabled/download-service");
    private static final Path WANTS = Path.of("/etc/systemd/system/multi-user.target.wants");
    private static final Path SYSTEMD_HELPER_STATE = Path.of("/var/lib/systemd/deb-systemd-helper-enabled");
    /** What systemd gives a service that sets no PATH. */
    private static final String SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin";
    private static final String NOBODY = "65534";
    private static final Duration DPKG = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    @Test
    void package_installedServedAndPurged_leavesNothingBehind() throws Exception {
        assertThat(System.getProperty("user.name"))
                .as("DebianPackageIT installs a package with dpkg: run it as root (CI does)").isEqualTo("root");
        Path deb = debianPackage();
        purgeIfInstalled();
        try {
            assertSucceeds(Commands.run(DPKG, "dpkg", "-i", deb.toString()));
            List<Path> installed = filesOf(PACKAGE);

            assertFilesInstalled(installed);
            assertUnitsVerify();
            assertServesAsTheUnitsStartIt();
            assertReinstallKeepsTheSettings(deb);
            enableAsAnOperatorWould();
            // The access log, where the unit's LogsDirectory= would have had the service write it.
            Files.writeString(Files.createDirectories(LOGS).resolve("access.log"), "a line\n");

            assertSucceeds(Commands.run(DPKG, "dpkg", "--purge", PACKAGE));
            assertNothingLeft(installed);
        } finally {
            purgeIfInstalled();
            Files.deleteIfExists(INSTANCE_SETTINGS);
        }
    }

    /** lintian, Debian's own check of a package, finds neither an error nor a warning. */
    @Test
    void package_lintian_findsNothingWrong() throws Exception {
        Commands.Result lintian = Commands.run(Duration.ofMinutes(3), "lintian", "--fail-on", "error,warning",
                debianPackage().toString());

        assertSucceeds(lintian);
        assertThat(lintian.out()).as(lintian.describe()).doesNotContainPattern("(?m)^[EW]: ");
    }

    private void assertFilesInstalled(List<Path> installed) throws Exception {
        assertThat(installed).contains(Path.of("/usr/bin/download-service"),
                Path.of("/usr/share/download-service/download-service.jar"),
                Path.of("/usr/share/download-service/prometheus/download-service.rules.yml"),
                Path.of("/usr/share/download-service/handover"),
                UNITS.resolve("download-service.service"), UNITS.resolve("download-service@.service"), SETTINGS, SITE,
                Path.of("/usr/share/doc/download-service/README.md"), Path.of("/usr/share/doc/download-service/docs/deploy.md"),
                Path.of("/usr/share/doc/download-service/copyright"), Path.of("/usr/share/doc/download-service/changelog.gz"),
                Path.of("/usr/share/man/man8/download-service.8.gz"));
        assertThat(Files.isExecutable(Path.of("/usr/bin/download-service"))).isTrue();
        assertThat(Files.readString(SETTINGS)).isEqualTo(Files.readString(EnvironmentFileTest.FILE));
        assertThat(Files.readString(SITE)).isEqualTo(Files.readString(Path.of("deploy/nginx/download-service.conf")));
        assertThat(Files.readString(UNITS.resolve("download-service.service")))
                .isEqualTo(Files.readString(Path.of("deploy/systemd/download-service.service")));
        Commands.Result conffiles = Commands.run(DPKG, "dpkg-query", "-W", "-f=${Conffiles}", PACKAGE);
        assertThat(conffiles.out()).contains(SETTINGS + " ", SITE + " ");
        // Neither enabled nor started: PHOTOS_PATH is the operator's to set first.
        assertThat(SITE_LINK).doesNotExist();
        assertThat(WANTS.resolve("download-service.service")).doesNotExist();
        // What enabling would link, recorded for purge to remove.
        assertThat(SYSTEMD_HELPER_STATE.resolve("download-service.service.dsh-also")).exists();
    }

    /** systemd-analyze verify on the units where they are: the command, the manual page and the docs they name exist. */
    private static void assertUnitsVerify() throws Exception {
        for (String unit : List.of("download-service.service", "download-service@two.service")) {
            Commands.Result verdict = Commands.run(Duration.ofMinutes(1), "systemd-analyze", "verify", unit);
            assertSucceeds(verdict);
            assertThat(verdict.out() + verdict.err()).as(unit).isEmpty();
        }
        for (String line : Files.readAllLines(UNITS.resolve("download-service.service"))) {
            if (line.startsWith("Documentation=")) {
                for (String link : line.substring("Documentation=".length()).split(" ")) {
                    if (link.startsWith("file://")) {
                        assertThat(Path.of(URI.create(link))).as(line).isRegularFile();
                    }
                }
            }
        }
    }

    /**
     * The operator sets the photos' folder and the ports in /etc/default/download-service, and a second instance's
     * ports in /etc/default/download-service-two, checks the settings with --check-config as the unit would run
     * it; then both run at once, as nobody, and serve.
     */
    private void assertServesAsTheUnitsStartIt() throws Exception {
        Path photos = Files.createDirectories(dir.resolve("photos/gallery-0123456789"));
        Files.writeString(photos.resolve("photo.jpg"), "photo");
        for (Path path : List.of(dir, dir.resolve("photos"), photos)) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        int port = freePort();
        int adminPort = freePort();
        Files.writeString(SETTINGS, Files.readString(SETTINGS)
                .replace("\nPHOTOS_PATH=/srv/photos\n", "\nPHOTOS_PATH=" + dir.resolve("photos") + "\n")
                .replace("\n#PORT=8080\n", "\nPORT=" + port + "\n")
                .replace("\nADMIN_PORT=8081\n", "\nADMIN_PORT=" + adminPort + "\n"));
        int instancePort = freePort();
        int instanceAdminPort = freePort();
        Files.writeString(INSTANCE_SETTINGS, "PORT=" + instancePort + "\nADMIN_PORT=" + instanceAdminPort + "\n");

        Process check = asTheUnitRunsIt(UNITS.resolve("download-service.service"), "", "--check-config")
                .redirectErrorStream(true).start();
        String checked = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as("download-service --check-config said: %s", checked).isZero();

        try (ServiceProcess service = ServiceProcess.start(asTheUnitRunsIt(UNITS.resolve("download-service.service"), ""));
             ServiceProcess instance = ServiceProcess.start(asTheUnitRunsIt(UNITS.resolve("download-service@.service"), "two"))) {
            assertThat(List.of(service.port(), instance.port())).containsExactly(port, instancePort);
            for (ServiceProcess running : List.of(service, instance)) {
                Path zip = running.download("gallery-0123456789", dir.resolve(running.port() + ".zip"));
                ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(photos));
                assertThat(commandLine(running)).contains("-Xmx512m", "-jar", "/usr/share/download-service/download-service.jar");
                assertThat(Files.readAllLines(Path.of("/proc/" + running.process().pid() + "/status")))
                        .anyMatch(line -> line.matches("Uid:\\s+" + NOBODY + "\\s.*"));
            }
            assertThat(healthz(adminPort)).isEqualTo(200);
            assertThat(healthz(instanceAdminPort)).isEqualTo(200);
            assertServesThroughDebiansNginx(port, photos);
        }
    }

    /** The installed site, enabled beside Debian's default site in a copy of /etc/nginx, in front of the service. */
    private void assertServesThroughDebiansNginx(int port, Path photos) throws Exception {
        NginxSite site = NginxSite.of(SITE);
        try (DebianNginx nginx = DebianNginx.withSite(dir.resolve("nginx"), "download-service", site.withServiceAt(port))) {
            nginx.start();
            Path zip = dir.resolve("through-nginx.zip");
            try (RawHttp http = RawHttp.connect(nginx.port(), 0); OutputStream out = Files.newOutputStream(zip)) {
                http.send("GET /archive/gallery-0123456789/ HTTP/1.1\r\nHost: " + site.serverName() + "\r\nConnection: close\r\n\r\n");
                RawHttp.Head head = http.readHead();
                assertThat(head.code()).isEqualTo(200);
                assertThat(http.copy(out, head.contentLength())).isEqualTo(head.contentLength());
            }
            ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(photos));
        }
    }

    /**
     * The unit's ExecStart (and {@code options}), in the environment its Environment= and EnvironmentFile= lines
     * make, in their order (a later file wins), with %i the instance; as nobody, as DynamicUser= would run it.
     */
    private static ProcessBuilder asTheUnitRunsIt(Path unit, String instance, String... options) throws Exception {
        Map<String, String> env = new LinkedHashMap<>(Map.of("PATH", SERVICE_PATH));
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--no-new-privs"));
        for (String line : Files.readAllLines(unit)) {
            String value = line.substring(line.indexOf('=') + 1).replace("%i", instance);
            if (line.startsWith("Environment=")) {
                env.put(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
            } else if (line.startsWith("EnvironmentFile=")) {
                boolean optional = value.startsWith("-"); // systemd.exec(5): a file that may be missing
                Path file = Path.of(optional ? value.substring(1) : value);
                if (!optional || Files.exists(file)) {
                    env.putAll(SystemdEnvironment.read(file));
                }
            } else if (line.startsWith("ExecStart=")) {
                command.addAll(Arrays.asList(value.split(" ")));
            }
        }
        command.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(env);
        return builder;
    }

    /** dpkg keeps a conffile that the operator changed when the package is installed again (an upgrade). */
    private static void assertReinstallKeepsTheSettings(Path deb) throws Exception {
        String changed = Files.readString(SETTINGS);

        assertSucceeds(Commands.run(DPKG, "dpkg", "-i", deb.toString()));

        assertThat(Files.readString(SETTINGS)).isEqualTo(changed);
    }

    /** What an operator does after installing: enable the units (systemctl links them even without systemd running) and the site. */
    private static void enableAsAnOperatorWould() throws Exception {
        assertSucceeds(Commands.run(Duration.ofMinutes(1), "systemctl", "enable", "download-service.service",
                "download-service@two.service"));
        assertThat(WANTS.resolve("download-service.service")).isSymbolicLink();
        assertThat(WANTS.resolve("download-service@two.service")).isSymbolicLink();
        Files.createSymbolicLink(SITE_LINK, Path.of("../sites-available/download-service"));
    }

    /** Every file and folder the package had is gone, but folders other packages share; the operator's own files stay. */
    private static void assertNothingLeft(List<Path> installed) throws Exception {
        assertThat(status()).isIn("", "not-installed");
        for (Path path : installed) {
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                assertThat(path).as("%s is left: only folders that other packages own may be", path).isDirectory();
                assertSucceeds(Commands.run(DPKG, "dpkg-query", "-S", path.toString()));
            }
        }
        assertThat(LOGS).as("the access logs, which purge removes").doesNotExist();
        for (Path link : List.of(WANTS.resolve("download-service.service"), WANTS.resolve("download-service@two.service"),
                SITE_LINK)) {
            assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).as("%s is left", link).isFalse();
        }
        try (Stream<Path> state = Files.walk(SYSTEMD_HELPER_STATE)) {
            assertThat(state).noneMatch(path -> path.getFileName().toString().startsWith(PACKAGE));
        }
        assertThat(INSTANCE_SETTINGS).as("the operator's own file").exists();
    }

    private static Path debianPackage() throws IOException {
        try (Stream<Path> built = Files.list(Path.of("target"))) {
            List<Path> debs = built.filter(path -> path.getFileName().toString().matches("download-service_.+_all\\.deb")).toList();
            assertThat(debs).as("the package 'package' makes in target/").hasSize(1);
            return debs.get(0);
        }
    }

    private static List<Path> filesOf(String name) throws Exception {
        Commands.Result listing = Commands.run(DPKG, "dpkg-query", "-L", name);
        assertSucceeds(listing);
        return listing.out().lines().filter(line -> line.startsWith("/") && !line.equals("/.")).map(Path::of).toList();
    }

    /** A package left by a run that stopped half-way would make dpkg -i an upgrade. */
    private static void purgeIfInstalled() throws Exception {
        if (!List.of("", "not-installed").contains(status())) {
            assertSucceeds(Commands.run(DPKG, "dpkg", "--purge", PACKAGE));
        }
    }

    /** installed, config-files (removed, not purged), not-installed, ...; empty if dpkg never knew it. */
    private static String status() throws Exception {
        return Commands.run(DPKG, "dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE).out();
    }

    private static List<String> commandLine(ServiceProcess service) throws IOException {
        byte[] cmdline = Files.readAllBytes(Path.of("/proc/" + service.process().pid() + "/cmdline"));
        return List.of(new String(cmdline, StandardCharsets.UTF_8).split("\0"));
    }

    private static int healthz(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void assertSucceeds(Commands.Result result) {
        assertThat(result.exit()).as(result.describe()).isZero();
    }
}
