package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.DebianNginx;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The md5= links are nginx's: Debian's nginx (its http_secure_link module, with nginx's documented
 * {@code secure_link_md5 "$secure_link_expires$uri $secret"}) and the service, with the same secret, judge the
 * same links alike: what nginx accepts (200) the service serves, what nginx finds wrong (403) or expired (410) the
 * service refuses with the same status. The links are made with openssl in shell, as README.md shows.
 */
class SignedLinksNginxIT {

    private static final String SECRET = "the site's secret, shared with nginx";
    private static final String HASH = "Nginx_signed-0123";
    private static final String HOST = "signed.test";

    @TempDir
    static Path dir;
    @AutoClose
    private static TestService service;
    @AutoClose
    private static DebianNginx nginx;

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        TestFiles.random(root.resolve(HASH + "/photo.jpg"), 100_000, 1);
        service = TestService.start(root, "--secure-link-secret", SECRET);
        // nginx answers for itself here (return), so that its verdict and the service's are seen apart.
        nginx = DebianNginx.withSite(dir.resolve("nginx"), "signed", """
                server {
                    listen 80;
                    listen [::]:80;
                    server_name %s;
                    location /archive/ {
                        secure_link $arg_md5,$arg_expires;
                        secure_link_md5 "$secure_link_expires$uri %s";
                        if ($secure_link = "") { return 403; }
                        if ($secure_link = "0") { return 410; }
                        return 200 "accepted\\n";
                    }
                }
                """.formatted(HOST, SECRET));
        nginx.start();
    }

    @Test
    void sameLinks_nginxAndTheService_sameVerdicts() throws Exception {
        long now = Instant.now().getEpochSecond();
        String path = "/archive/" + HASH + "/";
        String good = path + "?expires=" + (now + 600) + "&md5=" + md5(now + 600, path);
        List<String> links = List.of(
                good,
                good + "&name=Wedding&file=photo.jpg",
                "/archive/%4Eginx_signed-0123/?expires=" + (now + 600) + "&md5=" + md5(now + 600, path), // $uri is decoded
                good + "==",
                path + "?md5=" + md5(now + 600, path) + "&expires=" + (now + 600),
                path + "?expires=" + (now - 100) + "&md5=" + md5(now - 100, path),
                path + "?expires=" + (now + 601) + "&md5=" + md5(now + 600, path),
                path + "?expires=" + (now + 600) + "&md5=" + md5(now + 600, "/archive/other/"),
                path + "?expires=" + (now + 600),
                path + "?md5=" + md5(now + 600, path),
                path);
        List<String> nginxVerdicts = new ArrayList<>();
        List<String> serviceVerdicts = new ArrayList<>();
        for (String link : links) {
            nginxVerdicts.add(status(nginx.port(), link) + " " + link);
            serviceVerdicts.add(status(service.port(), link) + " " + link);
        }

        assertThat(serviceVerdicts).isEqualTo(nginxVerdicts);
        assertThat(nginxVerdicts).as("each verdict seen").anyMatch(v -> v.startsWith("200 "))
                .anyMatch(v -> v.startsWith("403 ")).anyMatch(v -> v.startsWith("410 "));
        assertThat(nginxVerdicts.get(0)).startsWith("200 ");
    }

    private static int status(int port, String link) throws Exception {
        try (RawHttp http = RawHttp.connect(port, 0)) {
            http.send("HEAD " + link + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n");
            return http.readHead().code();
        }
    }

    /** As README.md makes it: openssl md5, base64, made url-safe and unpadded with tr. */
    private static String md5(long expires, String path) throws Exception {
        Commands.Result result = Commands.run(Duration.ofSeconds(30), "sh", "-c",
                "printf '%s' \"$1\" | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =", "md5",
                expires + path + " " + SECRET);
        assertThat(result.exit()).as(result.describe()).isZero();
        return result.out().strip();
    }
}
