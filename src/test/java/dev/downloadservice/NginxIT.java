package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.DebianNginx;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's nginx with Debian's own /etc/nginx (copied into a temporary prefix, see {@link DebianNginx}) and
 * deploy/nginx/download-service.conf enabled beside Debian's default site, as the package installs it (its
 * ports changed): the site's host gets the archives (downloads, ranges, slow clients and the client's
 * address go through), any other host still gets Debian's default site, and {@code nginx -t} passes without a warning.
 */
class NginxIT {

    /** Debian's default site serves this page (its root is /var/www/html), put there when nginx is installed. */
    private static final Path DEBIAN_DEFAULT_PAGE = Path.of("/var/www/html/index.nginx-debian.html");

    @TempDir
    static Path dir;
    private static TestService service;
    private static DebianNginx nginx;
    /** The Host that the site names: a visitor's link. */
    private static String siteHost;
    private static Path folder;
    private static byte[] direct;

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        folder = Files.createDirectory(root.resolve("gallery"));
        Random random = new Random(3);
        for (int i = 0; i < 20; i++) {
            TestFiles.random(folder.resolve("IMG_" + i + ".jpg"), 500_000 + random.nextInt(1_000_000), random.nextLong());
        }
        TestFiles.sparse(folder.resolve("video.bin"), 40L << 20);
        service = TestService.start(root);
        direct = RawHttp.exchange(service.port(), request("GET", "/archive/gallery/", "localhost")).body();

        NginxSite site = NginxSite.read();
        siteHost = site.serverName();
        nginx = DebianNginx.withSite(dir.resolve("nginx"), "download-service", site.withServiceAt(service.port()));
        nginx.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        if (service != null) {
            service.close();
        }
    }

    /** Also what the old site (server_name _ on Debian's default port) failed: nginx warned that it ignored it. */
    @Test
    void configTest_debianLayoutWithTheSite_passesWithoutAWarning() throws Exception {
        Commands.Result test = nginx.configTest();

        assertThat(test.exit()).as(test.describe()).isZero();
        assertThat(test.err()).as(test.describe()).contains("test is successful").doesNotContain("[warn]");
    }

    @Test
    void otherHost_getsDebiansDefaultSite() throws Exception {
        RawHttp.Response home = RawHttp.exchange(nginx.port(), request("GET", "/", "localhost"));
        RawHttp.Response archive = RawHttp.exchange(nginx.port(), request("GET", "/archive/gallery/", "localhost"));

        assertThat(home.code()).isEqualTo(200);
        assertThat(home.body()).isEqualTo(Files.readAllBytes(DEBIAN_DEFAULT_PAGE));
        assertThat(archive.code()).isEqualTo(404);
    }

    /** Debian's default site listens on [::]:80 too: so does the site, or visitors over IPv6 would get the default site. */
    @Test
    void siteHostOverIpv6_getsTheArchive() throws Exception {
        Commands.Result head = Commands.run(Duration.ofSeconds(30), "curl", "-sS", "-g", "-I", "-o", "/dev/null",
                "-w", "%{http_code}", "-H", "Host: " + siteHost, "http://[::1]:" + nginx.port() + "/archive/gallery/");

        assertThat(head.out()).as(head.describe()).isEqualTo("200");
    }

    @Test
    void siteHost_fullDownload_sameBytesAndVerifies() throws Exception {
        RawHttp.Response response = RawHttp.exchange(nginx.port(), request("GET", "/archive/gallery/", siteHost));

        assertThat(response.code()).isEqualTo(200);
        assertThat(response.head().contentLength()).isEqualTo(direct.length);
        assertThat(response.head().headers()).containsKey("etag");
        assertThat(response.body()).isEqualTo(direct);
        Path zip = Files.write(dir.resolve("via-nginx.zip"), response.body());
        ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(folder));
    }

    /** A form's POST goes through to the service as it came, and a larger one than both allow is refused. */
    @Test
    void siteHost_formPost_theSelectionsArchive_andOneOverTheLimit413() throws Exception {
        String form = "file=IMG_3.jpg&file=IMG_11.jpg&name=Wedding";
        byte[] selection = RawHttp.exchange(service.port(), request("GET", "/archive/gallery/?" + form, "localhost")).body();
        RawHttp.Response posted = RawHttp.exchange(nginx.port(), request("POST", "/archive/gallery/", siteHost,
                "Content-Type: application/x-www-form-urlencoded", "Content-Length: " + form.length()) + form);
        RawHttp.Response tooLarge = RawHttp.exchange(nginx.port(), request("POST", "/archive/gallery/", siteHost,
                "Content-Type: application/x-www-form-urlencoded", "Content-Length: " + ((1 << 20) + 1)));

        assertThat(posted.code()).isEqualTo(200);
        assertThat(posted.head().headers().get("content-disposition")).isEqualTo("attachment; filename=\"Wedding.zip\"");
        assertThat(posted.body()).isEqualTo(selection);
        assertThat(tooLarge.code()).isEqualTo(413);
    }

    @Test
    void siteHost_rangeResume_givesTheRestOfTheSameArchive() throws Exception {
        int from = direct.length / 3;
        RawHttp.Response response = RawHttp.exchange(nginx.port(),
                request("GET", "/archive/gallery/", siteHost, "Range: bytes=" + from + "-"));

        assertThat(response.code()).isEqualTo(206);
        assertThat(response.head().headers().get("content-range")).isEqualTo(
                "bytes " + from + "-" + (direct.length - 1) + "/" + direct.length);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(direct, from, direct.length));
    }

    /** nginx appends the address it saw; the service, trusting loopback (nginx), logs the hop before it. */
    @Test
    void siteHost_clientAddressReachesTheAccessLog() throws Exception {
        try (LogCapture access = LogCapture.named("access");
             RawHttp http = RawHttp.connect(nginx.port(), 0)) {
            http.send(request("HEAD", "/archive/gallery/", siteHost, "X-Forwarded-For: 198.51.100.9"));
            assertThat(http.readHead().code()).isEqualTo(200);

            assertThat(access.await(line -> line.contains("\"HEAD /archive/gallery/"), Duration.ofSeconds(10)))
                    .startsWith("198.51.100.9 - - [");
        }
    }

    /** proxy_buffering off and proxy_max_temp_file_size 0: a slow client never makes nginx spool the archive to disk. */
    @Test
    void siteHost_slowClient_nothingBufferedToDisk() throws Exception {
        try (RawHttp http = RawHttp.connect(nginx.port(), 16 * 1024)) {
            http.send(request("GET", "/archive/gallery/", siteHost));
            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isEqualTo(200);
            long received = 0;
            for (int i = 0; i < 20; i++) {
                received += http.skip(64 * 1024);
                Thread.sleep(100);
                assertThat(nginx.openProxyTempFiles()).as("files nginx spooled to disk").isZero();
            }
            received += http.skip(head.contentLength() - received);
            assertThat(received).isEqualTo(head.contentLength());
        }
    }

    private static String request(String method, String path, String host, String... headers) {
        StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").toString();
    }
}
