package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.RawHttp.Response;
import dev.downloadservice.testing.TestService;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request targets and headers an attacker would try, over real HTTP: each is refused with
 * a 4xx, and no response ever carries a byte of the canary files placed beside the root,
 * outside it behind links, and in a sibling folder.
 */
class HostileRequestsTest {

    private static final String BESIDE = "CANARY-BESIDE-55d0";
    private static final String OUTSIDE = "CANARY-OUTSIDE-7f3a";
    private static final String SIBLING = "CANARY-SIBLING-91c2";
    private static final String PASSWD = "root:x:0:0";

    @TempDir
    static Path base;
    private static TestService service;
    private static byte[] galleryArchive;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(base.resolve("canary-beside.txt"), BESIDE);
        Path outside = Files.createDirectory(base.resolve("outside"));
        Files.writeString(outside.resolve("canary-outside.txt"), OUTSIDE);
        Path root = Files.createDirectory(base.resolve("root"));
        Path sibling = Files.createDirectory(root.resolve("sibling"));
        Files.writeString(sibling.resolve("canary-sibling.txt"), SIBLING);
        Files.writeString(root.resolve("plain-file"), BESIDE);
        Files.createSymbolicLink(root.resolve("link-out"), outside);
        Files.createSymbolicLink(root.resolve("link-sibling"), sibling);

        Path gallery = Files.createDirectory(root.resolve("gallery1"));
        Files.writeString(gallery.resolve("inside.txt"), "inside");
        Files.createDirectory(gallery.resolve("sub"));
        Files.writeString(gallery.resolve("sub/deep.txt"), "deep");
        // Links that try to leave the folder, each of which the listing must leave out.
        Files.createSymbolicLink(gallery.resolve("etc-link"), Path.of("/etc"));
        Files.createSymbolicLink(gallery.resolve("passwd-link"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(gallery.resolve("sibling-link"), sibling);
        Files.createSymbolicLink(gallery.resolve("sibling-file-link"), Path.of("../sibling/canary-sibling.txt"));
        Files.createSymbolicLink(gallery.resolve("outside-link"), Path.of("../../outside"));
        Files.createSymbolicLink(gallery.resolve("beside-link"), base.resolve("canary-beside.txt"));
        Files.createSymbolicLink(gallery.resolve("loop-a"), Path.of("loop-b"));
        Files.createSymbolicLink(gallery.resolve("loop-b"), Path.of("loop-a"));
        Files.createSymbolicLink(gallery.resolve("self-loop"), Path.of("."));
        Files.createSymbolicLink(gallery.resolve("sub/up-loop"), Path.of(".."));
        Files.createSymbolicLink(gallery.resolve("dangling"), Path.of("nothing-here"));

        service = TestService.start(root);
        galleryArchive = exchange("GET /archive/gallery1/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").body();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    static Stream<String> hostileTargets() {
        String longName = "a".repeat(129);
        return Stream.of(
                // Dot segments, in every encoding.
                "/archive/../", "/archive/./", "/archive/.../", "/archive/%2e%2e/", "/archive/%2E%2E/",
                "/archive/.%2e/", "/archive/%2e./", "/archive/%2e/", "/archive/%252e%252e/", "/archive/%25252e%25252e/",
                "/archive/%c0%ae%c0%ae/", "/archive/%c0%2e%c0%2e/", "/archive/%e0%80%ae%e0%80%ae/", "/archive/%c1%9c/",
                "/archive/%u002e%u002e/", "/archive/..;/", "/archive/..%00/", "/archive/%2e%2e%00/",
                // Slashes and backslashes, encoded and double-encoded, to reach a sibling or the outside.
                "/archive/..%2f/", "/archive/..%2fsibling/", "/archive/%2e%2e%2fsibling/", "/archive/%252e%252e%252fsibling/",
                "/archive/gallery1%2f..%2f..%2f/", "/archive/gallery1/../sibling/", "/archive/gallery1/%2e%2e/sibling/",
                "/archive/..%5csibling/", "/archive/..\\sibling/", "/archive/%5c..%5csibling/", "/archive/..%255csibling/",
                "/archive/gallery1%5c..%5c..%5c/", "/archive//sibling/", "/archive///", "/archive//", "//archive/gallery1/",
                "/archive/gallery1//", "/archive/gallery1/sub/", "/archive/gallery1/inside.txt",
                // Absolute paths.
                "/archive/%2fetc/", "/archive/%2fetc%2fpasswd/", "/archive//etc/passwd", "/etc/passwd", "/archive/%2f/",
                // NUL and control bytes, encoded and raw.
                "/archive/gallery1%00/", "/archive/gallery1%00.zip/", "/archive/%00/", "/archive/gallery1%0d%0aX-Injected:%201/",
                "/archive/gallery1%09/", "/archive/%7f/", "/archive/gallery1%1b/", "/archive/a\u0000b/", "/archive/a\u0001b/",
                "/archive/a\u007fb/",
                // Long names.
                "/archive/" + longName + "/", "/archive/" + "a".repeat(10_000) + "/", "/archive/" + "%2e".repeat(1_000) + "/",
                // Unicode look-alikes of a name, of dots and of slashes.
                "/archive/gallery%EF%BC%91/", "/archive/g%D0%B0llery1/", "/archive/gallery1%E2%80%8B/",
                "/archive/%EF%BC%8E%EF%BC%8E/", "/archive/%E2%80%A4%E2%80%A4/", "/archive/..%EF%BC%8Fsibling/",
                "/archive/..%E2%88%95sibling/", "/archive/gallery1%CC%81/", "/archive/\u00e9/",
                // Names that are not folders below the root.
                "/archive/plain-file/", "/archive/link-out/", "/archive/nothing/",
                "/archive/GALLERY1/", "/archive/%20gallery1/", "/archive/gallery1%20/", "/archive/gallery1;/",
                "/archive/gallery1;jsessionid=x/", "/archive/~root/", "/archive/$HOME/", "/archive/*/", "/ARCHIVE/gallery1/",
                // Malformed escapes.
                "/archive/%/", "/archive/%2/", "/archive/%zz/", "/archive/%%32%65%%32%65/",
                // Query strings and fragments around unsafe names.
                "/archive/..?x=1/", "/archive/%2e%2e/?a=b", "/archive/..%3f/", "/archive/..#/", "/archive/%23/",
                // Absolute-form targets with unsafe paths, the asterisk form, relative targets.
                "http://127.0.0.1/archive/../", "http://evil.example/archive/%2e%2e/", "https://localhost/archive//etc/",
                "HTTP://x/archive/..%2fsibling/", "http://x/archive/", "http:/archive/gallery1/", "ftp://x/archive/gallery1/",
                "*", "archive/gallery1/", "gallery1");
    }

    @ParameterizedTest
    @MethodSource("hostileTargets")
    void get_hostileTarget_4xxWithNothingFromOutside(String target) throws Exception {
        Response response = exchange("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        assertThat(response.head().code()).as(target).isBetween(400, 499);
        assertNoCanary(response);
        assertThat(response.head().headers()).doesNotContainKey("x-injected");
    }

    /**
     * RFC 9112 3.2.2: a server accepts the absolute form; its authority, like Host, names
     * nothing here, so any host in it gets the same archive, and only the path counts.
     */
    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1/archive/gallery1/", "http://evil.example/archive/gallery1/",
            "HTTPS://localhost:8080/archive/gallery1/?x=1"})
    void get_absoluteFormTarget_servesThePathsArchive(String target) throws Exception {
        Response response = exchange("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        assertThat(response.head().code()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(galleryArchive);
    }

    @Test
    void hostileTargets_areMoreThanSixty() {
        assertThat(hostileTargets().count()).isGreaterThanOrEqualTo(60);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /archive/gallery1/ HTTP/1.1\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: ../../etc\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: a/b\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: a\\b\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: user@evil.example\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: a b\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: localhost:80:80\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"})
    void get_hostGames_400(String request) throws Exception {
        Response response = exchange(request);

        assertThat(response.head().code()).isEqualTo(400);
        assertNoCanary(response);
    }

    /** What is harmless about a request must not change the archive: the same bytes as a plain request. */
    @ParameterizedTest
    @ValueSource(strings = {
            "GET /archive/gallery1/?../../sibling HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "GET /archive/gallery1/?path=/etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "GET /archive/gallery1/#../sibling HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "GET /archive/%67allery1/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: sibling\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.1\r\nHost:\r\n\r\n",
            "GET /archive/gallery1/ HTTP/1.0\r\n\r\n"})
    void get_harmlessExtras_sameArchiveAsPlainRequest(String request) throws Exception {
        Response response = exchange(request);

        assertThat(response.head().code()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(galleryArchive);
    }

    /** Only whoever can write the root can make such a link: it is an alias, served as the folder it names. */
    @Test
    void get_folderNameLinkedToAnotherFolderBelowTheRoot_servedAsThatFolder() throws Exception {
        Response alias = exchange("GET /archive/link-sibling/ HTTP/1.1\r\nHost: localhost\r\n\r\n");
        Response target = exchange("GET /archive/sibling/ HTTP/1.1\r\nHost: localhost\r\n\r\n");

        assertThat(alias.head().code()).isEqualTo(200);
        assertThat(alias.body()).isEqualTo(target.body());
    }

    @Test
    void get_folderWithLinksOutward_archiveHoldsOnlyWhatIsInside() throws Exception {
        Response response = new Response(null, galleryArchive);
        assertNoCanary(response);
        List<String> names = new ArrayList<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(galleryArchive))) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                names.add(entry.getName());
                assertThat(new String(zip.readAllBytes(), StandardCharsets.UTF_8)).isIn("inside", "deep", "");
            }
        }
        assertThat(names).containsExactly("inside.txt", "sub/", "sub/deep.txt");
    }

    private static void assertNoCanary(Response response) {
        String body = new String(response.body(), StandardCharsets.ISO_8859_1);
        assertThat(body).doesNotContain(BESIDE, OUTSIDE, SIBLING, PASSWD);
    }

    private static Response exchange(String request) throws Exception {
        return RawHttp.exchange(service.port(), request);
    }
}
