package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP interface over real HTTP on loopback: headers, lengths, methods, routes, errors. */
class ArchiveHttpTest {

    @TempDir
    static Path root;
    @TempDir
    static Path outside;
    private static TestService service;
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        Path folder = Files.createDirectory(root.resolve("abc123"));
        TestFiles.random(folder.resolve("a.jpg"), 300_000, 7);
        Files.writeString(folder.resolve("b.txt"), "hello");
        Files.writeString(root.resolve("plain-file"), "not a folder");
        Files.writeString(outside.resolve("secret.txt"), "CANARY-SECRET");
        Files.createSymbolicLink(root.resolve("escape"), outside);
        service = TestService.start(root);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @Test
    void get_existingFolder_sendsZipWithExactLengthAndAttachmentName() throws Exception {
        HttpResponse<byte[]> response = get("/archive/abc123/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/zip");
        assertThat(response.headers().firstValue("content-disposition")).hasValue("attachment; filename=\"abc123.zip\"");
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(response.body().length);
        assertThat(response.body()).startsWith(0x50, 0x4B, 0x03, 0x04);
    }

    @Test
    void get_sameFolderTwice_identicalBytesAndNoFileReadAgain() throws Exception {
        byte[] first = get("/archive/abc123/").body();
        long misses = service.service().checksums().misses();

        byte[] second = get("/archive/abc123/").body();

        assertThat(second).isEqualTo(first);
        assertThat(service.service().checksums().misses()).as("CRC-32s come from the cache").isEqualTo(misses);
    }

    @Test
    void head_existingFolder_sameHeadersNoBody() throws Exception {
        HttpResponse<byte[]> get = get("/archive/abc123/");
        HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(service.uri("/archive/abc123/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-length")).isEqualTo(get.headers().firstValue("content-length"));
        assertThat(head.headers().firstValue("content-type")).hasValue("application/zip");
    }

    @Test
    void get_withoutTrailingSlash_redirectsToSlashForm() throws Exception {
        HttpResponse<byte[]> response = get("/archive/abc123?x=1");

        assertThat(response.statusCode()).isEqualTo(301);
        assertThat(response.headers().firstValue("location")).hasValue("/archive/abc123/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/archive/nope/", "/archive/plain-file/", "/archive/escape/", "/archive/../",
            "/archive/%2e%2e/", "/archive/./", "/archive/abc123/a.jpg", "/archive/abc%2F123/", "/archive/a%5Cb/",
            "/archive//", "/archive/a%00b/", "/archive/abc123%0a/", "/nothing", "/archive", "/archive/",
            "/archive/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"})
    void get_noSuchOrUnsafeFolder_404WithoutLeakingAnything(String path) throws Exception {
        HttpResponse<byte[]> response = get(path);

        assertThat(response.statusCode()).isEqualTo(404);
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(body).isEqualTo("Archive does not exist or has been removed\n");
    }

    @Test
    void get_malformedEscape_400() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("GET /archive/%zz/ HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(http.readHead().code()).isEqualTo(400);
        }
    }

    @Test
    void otherMethods_405WithAllow_postOnlyForArchives() throws Exception {
        HttpResponse<byte[]> put = client.send(HttpRequest.newBuilder(service.uri("/archive/abc123/"))
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> post = client.send(HttpRequest.newBuilder(service.uri("/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("allow")).hasValue("GET, HEAD, POST");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
    }

    @Test
    void get_root_servesIndexPageThatListsNoFolders() throws Exception {
        HttpResponse<byte[]> response = get("/");
        String page = new String(response.body(), StandardCharsets.UTF_8);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(page).contains("/archive/&lt;hash&gt;/").doesNotContain("abc123", "<form", "href=");
    }

    @Test
    void keepAlive_twoDownloadsOnOneConnection_bothComplete() throws Exception {
        long length = get("/archive/abc123/").body().length;
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            for (int i = 0; i < 2; i++) {
                http.send("GET /archive/abc123/ HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Head head = http.readHead();
                assertThat(head.code()).isEqualTo(200);
                assertThat(head.contentLength()).isEqualTo(length);
                assertThat(http.readExactly((int) length)).hasSize((int) length);
            }
        }
    }

    @Test
    void pipelining_twoRequestsSentAtOnce_answeredInOrder() throws Exception {
        long length = get("/archive/abc123/").body().length;
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("GET /archive/abc123/ HTTP/1.1\r\nHost: x\r\n\r\nGET /archive/nope/ HTTP/1.1\r\nHost: x\r\n\r\n");

            assertThat(http.readHead().code()).isEqualTo(200);
            assertThat(http.skip(length)).isEqualTo(length);
            assertThat(http.readHead().code()).isEqualTo(404);
        }
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }
}
