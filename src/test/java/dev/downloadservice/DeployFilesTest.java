package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The systemd unit in deploy/ is valid for systemd and as hardened as docs/deploy.md says. */
class DeployFilesTest {

    private static final Path UNIT = Path.of("deploy/systemd/download-service.service");

    @Test
    void systemdUnit_verifiesWithoutAWord() throws Exception {
        assertThat(verify(UNIT)).isEmpty();
    }

    /** systemd-analyze exits 0 even for a bad line; what it prints is the verdict. This shows it speaks. */
    @Test
    void systemdUnit_withABadLine_isReported(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("download-service.service");
        Files.writeString(bad, Files.readString(UNIT).replace("ProtectSystem=strict", "ProtectSystem=bogus"));

        assertThat(verify(bad)).contains("bogus");
    }

    @Test
    void systemdUnit_hardenedAndStopsAfterTheDrain() throws Exception {
        String unit = Files.readString(UNIT);

        assertThat(unit).contains("DynamicUser=yes", "ProtectSystem=strict", "ReadOnlyPaths=/srv/photos",
                "Environment=PHOTOS_PATH=/srv/photos", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
                "PrivateTmp=yes", "LimitNOFILE=", "KillSignal=SIGTERM", "Environment=LANG=C.UTF-8");
        // Longer than the default --shutdown-timeout (30 s), so that systemd lets the drain finish.
        assertThat(unit).containsPattern("TimeoutStopSec=(3[1-9]|[4-9]\\d)\\n");
    }

    private static String verify(Path unit) throws Exception {
        Process process = new ProcessBuilder("systemd-analyze", "verify", unit.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output.strip();
    }
}
