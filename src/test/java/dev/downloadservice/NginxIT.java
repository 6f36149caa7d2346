package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's nginx in front of the service with exactly deploy/nginx/download-service.conf
 * (its two ports replaced): downloads, ranges, slow clients and the client's address go through it.
 */
class NginxIT {

    private static final Path SNIPPET = Path.of("deploy/nginx/download-service.conf");

    @TempDir
    static Path dir;
    private static TestService service;
    private static Process nginx;
    private static int nginxPort;
    private static Path folder;
    private static byte[] direct;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nginx")), "nginx is installed by .ci/run");
        Path root = Files.createDirectory(dir.resolve("root"));
        folder = Files.createDirectory(root.resolve("gallery"));
        Random random = new Random(3);
        for (int i = 0; i < 20; i++) {
            TestFiles.random(folder.resolve("IMG_" + i + ".jpg"), 500_000 + random.nextInt(1_000_000), random.nextLong());
        }
        TestFiles.sparse(folder.resolve("video.bin"), 40L << 20);
        service = TestService.start(root);
        direct = get("http://127.0.0.1:" + service.port() + "/archive/gallery/", null).body();

        nginxPort = freePort();
        Path conf = Files.createDirectory(dir.resolve("nginx"));
        Files.writeString(conf.resolve("download-service.conf"), Files.readString(SNIPPET)
                .replace("server 127.0.0.1:8080;", "server 127.0.0.1:" + service.port() + ";")
                .replace("listen 80;", "listen 127.0.0.1:" + nginxPort + ";"));
        Files.writeString(conf.resolve("nginx.conf"), String.join("\n",
                "daemon off;", "worker_processes 1;", "user root;", "pid " + conf.resolve("nginx.pid") + ";",
                "error_log " + conf.resolve("error.log") + ";", "events { worker_connections 64; }", "http {",
                "  access_log " + conf.resolve("access.log") + ";",
                "  client_body_temp_path " + conf.resolve("client_temp") + ";",
                "  proxy_temp_path " + conf.resolve("proxy_temp") + ";",
                "  fastcgi_temp_path " + conf.resolve("fastcgi_temp") + ";",
                "  uwsgi_temp_path " + conf.resolve("uwsgi_temp") + ";",
                "  scgi_temp_path " + conf.resolve("scgi_temp") + ";",
                "  include " + conf.resolve("download-service.conf") + ";", "}", ""));
        nginx = new ProcessBuilder("/usr/sbin/nginx", "-p", conf.toString(), "-c", conf.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(conf.resolve("nginx.out").toFile()).start();
        for (int i = 0; i < 100 && !listening(nginxPort); i++) {
            Thread.sleep(50);
        }
        assertThat(listening(nginxPort)).as("nginx started: " + Files.readString(conf.resolve("nginx.out"))).isTrue();
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void throughNginx_fullDownload_sameBytesAndVerifies() throws Exception {
        HttpResponse<byte[]> response = get(viaNginx(), null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(direct.length);
        assertThat(response.headers().firstValue("etag")).isPresent();
        assertThat(response.body()).isEqualTo(direct);
        Path zip = Files.write(dir.resolve("via-nginx.zip"), response.body());
        ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(folder));
    }

    @Test
    void throughNginx_rangeResume_givesTheRestOfTheSameArchive() throws Exception {
        int from = direct.length / 3;
        HttpResponse<byte[]> response = get(viaNginx(), "bytes=" + from + "-");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.headers().firstValue("content-range")).hasValue(
                "bytes " + from + "-" + (direct.length - 1) + "/" + direct.length);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(direct, from, direct.length));
    }

    /** nginx appends the address it saw; the service, trusting loopback (nginx), logs the hop before it. */
    @Test
    void throughNginx_clientAddressReachesTheAccessLog() throws Exception {
        try (LogCapture access = LogCapture.named("access");
             RawHttp http = RawHttp.connect(nginxPort, 0)) {
            http.send("HEAD /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 198.51.100.9\r\n\r\n");
            assertThat(http.readHead().code()).isEqualTo(200);

            assertThat(access.await(line -> line.contains("\"HEAD /archive/gallery/"), java.time.Duration.ofSeconds(10)))
                    .startsWith("198.51.100.9 - - [");
        }
    }

    /** proxy_buffering off and proxy_max_temp_file_size 0: a slow client never makes nginx spool the archive to disk. */
    @Test
    void throughNginx_slowClient_nothingBufferedToDisk() throws Exception {
        try (RawHttp http = RawHttp.connect(nginxPort, 16 * 1024)) {
            http.send("GET /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawHttp.Head head = http.readHead();
            long received = 0;
            for (int i = 0; i < 20; i++) {
                received += http.skip(64 * 1024);
                Thread.sleep(100);
                assertThat(spooledFiles()).as("files nginx spooled to disk").isZero();
            }
            received += http.skip(head.contentLength() - received);
            assertThat(received).isEqualTo(head.contentLength());
        }
    }

    private static long spooledFiles() throws IOException {
        Path temp = dir.resolve("nginx/proxy_temp");
        if (!Files.exists(temp)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(temp)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    private static String viaNginx() {
        return "http://127.0.0.1:" + nginxPort + "/archive/gallery/";
    }

    private static HttpResponse<byte[]> get(String uri, String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri));
        if (range != null) {
            request.header("Range", range);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
