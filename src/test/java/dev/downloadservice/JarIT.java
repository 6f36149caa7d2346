package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.S3Server;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.ZipReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packaged jar as an operator runs it: a real process on each JDK the machine has
 * (the default 17 and Temurin 25), real environment variables, real exit codes.
 */
class JarIT {


    @TempDir
    Path dir;

    static Stream<String> jdks() throws IOException {
        List<String> javas = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        try (Stream<Path> installed = Files.list(Path.of("/usr/lib/jvm"))) {
            installed.filter(p -> p.getFileName().toString().startsWith("temurin-25"))
                    .map(p -> p.resolve("bin/java").toString()).forEach(javas::add);
        }
        return javas.stream();
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void jar_noPathGiven_servesTheSamplePhotos(String java) throws Exception {
        try (ServiceProcess service = ServiceProcess.start(java, Map.of(), "--host", "127.0.0.1", "--port", "0")) {
            Path zip = service.download("7kna", dir.resolve("7kna.zip"));

            assertThat(service.root()).isEqualTo(Path.of("test_photos").toAbsolutePath().toString());
            ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(Path.of("test_photos/7kna")));
        }
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void jar_pathInEnvironmentAndFlag_flagWinsOverEnvironment(String java) throws Exception {
        Path fromEnv = Files.createDirectories(dir.resolve("env/a"));
        Path fromFlag = Files.createDirectories(dir.resolve("flag/a"));
        Files.writeString(fromFlag.resolve("flag.txt"), "flag");
        Files.writeString(fromEnv.resolve("env.txt"), "env");

        try (ServiceProcess byEnv = ServiceProcess.start(java, Map.of("PHOTOS_PATH", dir.resolve("env").toString(), "PORT", "0",
                "HOST", "127.0.0.1"))) {
            assertThat(byEnv.root()).isEqualTo(dir.resolve("env").toString());
        }
        try (ServiceProcess byFlag = ServiceProcess.start(java, Map.of("PHOTOS_PATH", dir.resolve("env").toString(), "PORT", "8",
                "HOST", "127.0.0.1"), "--path", dir.resolve("flag").toString(), "--port", "0")) {
            Path zip = byFlag.download("a", dir.resolve("a.zip"));
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

    @ParameterizedTest
    @MethodSource("jdks")
    void jar_version_printsVersionAndExits0(String java) throws Exception {
        Process process = ServiceProcess.command(java, Map.of(), "--version").start();

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .startsWith("download-service ").doesNotContain("development");
    }


    /** The jar, with the SDK shaded in, on each JDK: an S3 folder, credentials from the environment only. */
    @ParameterizedTest
    @MethodSource("jdks")
    void jar_s3PathWithCredentialsFromTheEnvironment_servesTheBucket(String java) throws Exception {
        try (S3Server s3 = S3Server.start(null)) {
            s3.createBucket("photos");
            s3.put("photos", "galleries/a1/Фото.jpg", "photo".getBytes(StandardCharsets.UTF_8), false);
            try (ServiceProcess service = ServiceProcess.start(java, Map.of(
                    "PHOTOS_PATH", "s3://photos/galleries", "S3_ENDPOINT", s3.endpoint().toString(),
                    "AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY),
                    "--host", "127.0.0.1", "--port", "0")) {
                Path zip = service.download("a1", dir.resolve("s3-" + Math.abs(java.hashCode()) + ".zip"));

                ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFiles(
                        Map.of("Фото.jpg", "photo".getBytes(StandardCharsets.UTF_8))));
            }
        }
    }
}
