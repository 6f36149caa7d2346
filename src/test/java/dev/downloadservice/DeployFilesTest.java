package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The systemd units in deploy/ are valid for systemd and as hardened as docs/deploy.md says; the template
 * unit is the plain one but for the instance's lines. DebianPackageIT checks them once more where the
 * package installs them.
 */
class DeployFilesTest {

    private static final Path UNITS = Path.of("deploy/systemd");
    private static final Path UNIT = UNITS.resolve("download-service.service");
    private static final Path TEMPLATE = UNITS.resolve("download-service@.service");
    private static final Path LAUNCHER = Path.of("src/deb/download-service");

    @TempDir
    Path root;

    @ParameterizedTest
    @ValueSource(strings = {"download-service.service", "download-service@one.service"})
    void systemdUnit_verifiesWithoutAWord(String unit) throws Exception {
        Commands.Result verdict = verify(unit);

        assertThat(verdict.exit()).as(verdict.describe()).isZero();
        assertThat(verdict.out() + verdict.err()).isEmpty();
    }

    /** systemd-analyze exits 0 even for a bad line; what it says is the verdict. This shows it speaks. */
    @ParameterizedTest
    @ValueSource(strings = {"download-service.service", "download-service@one.service"})
    void systemdUnit_withABadLine_isReported(String unit) throws Exception {
        assertThat(verify(unit, "ProtectSystem=strict", "ProtectSystem=bogus").err()).contains("bogus");
    }

    /** It looks for the ExecStart command in the image: a unit that starts what the package does not install fails. */
    @Test
    void systemdUnit_startingWhatThePackageDoesNotInstall_isReported() throws Exception {
        assertThat(verify("download-service.service", "ExecStart=/usr/bin/download-service", "ExecStart=/usr/bin/nothing")
                .err()).contains("/usr/bin/nothing");
    }

    @Test
    void systemdUnit_hardenedAndStopsAfterTheDrain() throws Exception {
        String unit = Files.readString(UNIT);

        assertThat(unit).contains("ExecStart=/usr/bin/download-service\n", "EnvironmentFile=/etc/default/download-service\n",
                "DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
                "CapabilityBoundingSet=\n", "PrivateTmp=yes", "LimitNOFILE=", "KillSignal=SIGTERM",
                "Environment=LANG=C.UTF-8", "RestartPreventExitStatus=2\n");
        // Settings are in /etc/default/download-service alone; under ProtectSystem=strict the photos need no ReadOnlyPaths=.
        assertThat(unit.lines().filter(line -> !line.startsWith("#")))
                .noneMatch(line -> line.contains("PHOTOS_PATH") || line.contains("ReadOnlyPaths=") || line.contains("-Xmx"));
        // Longer than the default --shutdown-timeout (30 s), so that systemd lets the drain finish.
        assertThat(unit).containsPattern("TimeoutStopSec=(3[1-9]|[4-9]\\d)\\n");
    }

    /** The package's shell scripts, and the check of the package under systemd, as Debian's sh runs them: shellcheck finds nothing, info notes included. */
    @Test
    void packageScripts_shellcheckFindsNothing() throws Exception {
        Commands.Result verdict = Commands.run(Duration.ofSeconds(60), "shellcheck", "--shell=sh", "--severity=info",
                "src/deb/control/postinst", "src/deb/control/prerm", "src/deb/control/postrm", "src/deb/download-service", "src/deb/handover",
                "src/test/systemd/run.sh", "src/test/systemd/check.sh");

        assertThat(verdict.exit()).as(verdict.out() + verdict.err()).isZero();
    }

    /** Two files that must not drift apart: the template is the plain unit with an instance's name and settings. */
    @Test
    void templateUnit_isThePlainUnitButForTheInstancesLines() throws Exception {
        List<String> template = directives(TEMPLATE);
        List<String> plain = directives(UNIT);

        assertThat(template).contains("EnvironmentFile=-/etc/default/download-service-%i")
                .anyMatch(line -> line.startsWith("Description=download-service %i: "));
        assertThat(template.stream().filter(line -> !line.startsWith("Description="))
                .filter(line -> !line.equals("EnvironmentFile=-/etc/default/download-service-%i")))
                .containsExactlyElementsOf(plain.stream().filter(line -> !line.startsWith("Description=")).toList());
    }

    /** Everything below the header comment: the instructions to systemd and the comments on them. */
    private static List<String> directives(Path unit) throws IOException {
        List<String> lines = Files.readAllLines(unit);
        return lines.subList(lines.indexOf("[Unit]"), lines.size());
    }

    /**
     * systemd-analyze verify in an image of this machine's units with the package's units and the commands they
     * run (its launcher, kill), since verify checks that they exist, and the package may not be installed.
     */
    private Commands.Result verify(String unit, String... replacedBy) throws Exception {
        Path system = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
        try (Stream<Path> units = Files.list(Path.of("/usr/lib/systemd/system"))) {
            for (Path installed : units.toList()) {
                Files.copy(installed, system.resolve(installed.getFileName()), LinkOption.NOFOLLOW_LINKS);
            }
        }
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        for (Path ours : List.of(UNIT, TEMPLATE)) {
            String text = Files.readString(ours);
            for (int i = 0; i < replacedBy.length; i += 2) {
                text = text.replace(replacedBy[i], replacedBy[i + 1]);
            }
            Files.writeString(system.resolve(ours.getFileName()), text);
        }
        Path bin = Files.createDirectories(root.resolve("usr/bin"));
        Files.copy(LAUNCHER, bin.resolve("download-service"));
        Files.copy(Path.of("/usr/bin/kill"), bin.resolve("kill")); // ExecReload

        // The manual page is not in the image either: DebianPackageIT looks for it where the package installs it.
        return Commands.run(Duration.ofSeconds(60), "systemd-analyze", "verify", "--man=no", "--root=" + root, unit);
    }
}
