package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.S3Server;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.SystemdEnvironment;
import dev.downloadservice.testing.ZipReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar takes every value of /etc/default/download-service (deploy/default/download-service) as systemd reads
 * it, and the file has every option the jar's --help lists, so it cannot fall behind.
 */
class EnvironmentFileIT {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    /** An option in --help, where a line starts with it ("  -h, --help", "      --[no-]debug", "      --port=PORT"). */
    private static final Pattern HELP_OPTION = Pattern.compile("(?m)^ {2,6}(?:-\\w, )?--(?:\\[no-])?([a-z][a-z0-9-]*)");
    private static final Pattern HELP_VARIABLE = Pattern.compile("\\(env\\s+([A-Z][A-Z0-9_]*)");
    /** Options that are no setting, so not in the file. */
    private static final Set<String> COMMANDS = Set.of("help", "version", "check-config");

    @TempDir
    Path dir;

    /**
     * Every line uncommented, with a local folder: only what names this machine is replaced (the folder, free
     * ports, the access log's file); the S3 settings are left out, as the file says they apply to an s3://
     * PHOTOS_PATH alone, and so are the secret's two examples, one or the other (signed links: SignedLinksHttpTest).
     */
    @Test
    void everyLineUncommented_localFolder_servesWithThemAll() throws Exception {
        Path photos = Files.createDirectories(dir.resolve("photos/gallery-0123456789"));
        Files.writeString(photos.resolve("photo.jpg"), "photo");
        Path accessLog = dir.resolve("access.log");
        Map<String, String> env = everySetting();
        env.keySet().removeIf(name -> name.startsWith("S3_") || name.startsWith("AWS_") || name.startsWith("SECURE_LINK_SECRET"));
        env.putAll(Map.of("PHOTOS_PATH", dir.resolve("photos").toString(), "PORT", "0", "ADMIN_PORT", "0",
                "ACCESS_LOG", accessLog.toString()));

        try (ServiceProcess service = start(env)) {
            Path zip = service.download("gallery-0123456789", dir.resolve("a1.zip"));

            ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(photos));
        }
        assertThat(Files.readString(accessLog)).contains("GET /archive/gallery-0123456789/ HTTP/1.1");
    }

    /** Every line uncommented, with folders in S3: the store's address and keys are this test's, the rest the file's. */
    @Test
    void everyLineUncommented_s3Folder_servesWithThemAll() throws Exception {
        try (S3Server s3 = S3Server.start(null)) {
            s3.createBucket("photos");
            s3.put("photos", "galleries/gallery-0123456789/photo.jpg", "photo".getBytes(StandardCharsets.UTF_8), false);
            Map<String, String> env = everySetting();
            env.keySet().removeIf(name -> name.startsWith("SECURE_LINK_SECRET"));
            env.putAll(Map.of("PHOTOS_PATH", "s3://photos/galleries", "S3_ENDPOINT", s3.endpoint().toString(),
                    "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY,
                    "PORT", "0", "ADMIN_PORT", "0", "ACCESS_LOG", dir.resolve("access.log").toString()));

            try (ServiceProcess service = start(env)) {
                Path zip = service.download("gallery-0123456789", dir.resolve("a1.zip"));

                ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFiles(Map.of("photo.jpg", "photo".getBytes(StandardCharsets.UTF_8))));
            }
        }
    }

    @Test
    void help_everyOptionAndItsVariable_inTheFile() throws Exception {
        Process process = ServiceProcess.command(JAVA, Map.of(), "--help").start();
        String help = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String file = Files.readString(EnvironmentFileTest.FILE);

        Set<String> options = matches(HELP_OPTION, help);
        options.removeAll(COMMANDS);
        Set<String> variables = matches(HELP_VARIABLE, help);
        assertThat(options).as("options in --help").contains("path", "port", "s3-timeout");
        assertThat(variables).as("variables in --help").contains("PHOTOS_PATH", "PORT", "S3_TIMEOUT");
        assertThat(options).allSatisfy(option -> assertThat(file).as("--%s in the file", option).contains("(--" + option));
        assertThat(variables).allSatisfy(variable -> assertThat(file).as("%s in the file", variable)
                .containsPattern("(?m)^#?" + variable + "="));
    }

    private Map<String, String> everySetting() throws Exception {
        return new LinkedHashMap<>(SystemdEnvironment.read(EnvironmentFileTest.uncommented(EnvironmentFileTest.FILE, dir)));
    }

    /** As the launcher starts it: JAVA_OPTS split at spaces before -jar, the rest in the environment. */
    private static ServiceProcess start(Map<String, String> env) throws Exception {
        List<String> jvmOptions = Arrays.asList(env.remove("JAVA_OPTS").split(" +"));
        return ServiceProcess.start(ServiceProcess.command(JAVA, jvmOptions, env));
    }

    private static Set<String> matches(Pattern pattern, String text) {
        Set<String> found = new TreeSet<>();
        Matcher matcher = pattern.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }
}
