package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.SystemdEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/default/download-service (the package's /etc/default/download-service) as systemd reads it, by systemd's
 * own parser: what it sets as shipped, and what each of its commented options sets once uncommented.
 * EnvironmentFileIT starts the jar with those values.
 */
class EnvironmentFileTest {

    static final Path FILE = Path.of("deploy/default/download-service");

    /** What the package sets, where the service's own default does not fit a service behind nginx. */
    static final Map<String, String> PACKAGE_SETTINGS = Map.of(
            "JAVA_OPTS", "-Xmx512m",
            "PHOTOS_PATH", "/srv/photos",
            "HOST", "127.0.0.1",
            "ADMIN_PORT", "8081",
            "REUSE_PORT", "1");

    /**
     * Every line of the file uncommented: the package's settings, the service's defaults, and examples for the
     * secret of signed links and for S3.
     */
    static final Map<String, String> EVERY_SETTING = orderedMap(
            "JAVA_OPTS", "-Xmx512m",
            "PHOTOS_PATH", "/srv/photos",
            "HOST", "127.0.0.1",
            "PORT", "8080",
            "ADMIN_PORT", "8081",
            "REUSE_PORT", "1",
            "DEBUG", "0",
            "DELAY", "0",
            "HASH_PATTERN", "[A-Za-z0-9_-]{16,128}",
            "INCLUDE_HIDDEN", "0",
            "ENTRY_NAMES", "portable",
            "IDLE_TIMEOUT", "60",
            "SEND_TIMEOUT", "60",
            "SHUTDOWN_TIMEOUT", "30",
            "LOG_FORMAT", "combined",
            "ACCESS_LOG", "/var/log/download-service/access.log",
            "TRUSTED_PROXIES", "127.0.0.0/8,::1",
            "MAX_DOWNLOADS", "1000",
            "MAX_DOWNLOADS_PER_CLIENT", "16",
            "MAX_URL_LENGTH", "4096",
            "MAX_HEADER_SIZE", "8192",
            "RATE_LIMIT", "0",
            "MAX_FORM_SIZE", "1048576",
            "MAX_ARCHIVE_SIZE", "0",
            "MAX_ARCHIVE_ENTRIES", "0",
            "SECURE_LINK_SECRET_FILE", "/run/credentials/download-service.service/secure-link-secret",
            "SECURE_LINK_SECRET", "change-me",
            "SECURE_LINK_GRACE", "86400",
            "S3_ENDPOINT", "https://minio.example.org:9000",
            "S3_REGION", "us-east-1",
            "S3_PATH_STYLE", "1",
            "S3_TIMEOUT", "10",
            "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

    private static final Pattern COMMENTED_SETTING = Pattern.compile("^#([A-Z][A-Z0-9_]*=)");

    @TempDir
    Path dir;

    @Test
    void shippedFile_setsThePackagesSettingsAlone() throws Exception {
        assertThat(SystemdEnvironment.read(FILE)).isEqualTo(PACKAGE_SETTINGS);
    }

    @Test
    void everyLineUncommented_setsEverySettingToItsValue() throws Exception {
        assertThat(SystemdEnvironment.read(uncommented(FILE, dir))).containsExactlyEntriesOf(EVERY_SETTING);
    }

    /** Each setting on a line of its own, the line above it a comment that explains it. */
    @Test
    void everySetting_hasAnExplanationAboveIt() throws Exception {
        List<String> lines = Files.readAllLines(FILE);
        for (int i = 0; i < lines.size(); i++) {
            if (isSetting(lines.get(i))) {
                String above = lines.get(i - 1);
                assertThat(above).as("line %d, %s: the comment above it explains it", i + 1, lines.get(i))
                        .startsWith("# ").hasSizeGreaterThan(20);
            }
        }
    }

    /**
     * The mistake of the old documentation (#13), read as systemd reads it: a comment after a value is part of
     * the value. This shows that the parser is systemd's, and why the file never has one.
     */
    @Test
    void commentAfterAValue_isPartOfTheValue() throws Exception {
        Path file = Files.writeString(dir.resolve("inline-comment"), "ADMIN_PORT=8081   # /metrics here\n");

        assertThat(SystemdEnvironment.read(file)).containsEntry("ADMIN_PORT", "8081   # /metrics here");
    }

    /** The file with the # taken off every commented setting, as an operator who wants them all would. */
    static Path uncommented(Path file, Path dir) throws Exception {
        List<String> lines = Files.readAllLines(file).stream()
                .map(line -> COMMENTED_SETTING.matcher(line).replaceFirst("$1")).toList();
        return Files.write(dir.resolve("uncommented"), lines);
    }

    private static boolean isSetting(String line) {
        return line.matches("#?[A-Z][A-Z0-9_]*=.*");
    }

    private static Map<String, String> orderedMap(String... namesAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return map;
    }
}
