package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.ManifestReader;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The manifest ({@code ?list}) over real HTTP against the real server: how it is asked for, its conditions, a
 * Range ignored, HEAD, a selection, a folder of 10,000 files; its JSON read by Python's parser. That it
 * describes the very archive its link sends, on every source: {@code SourceContractTest}.
 */
class ManifestHttpTest {

    private static final String GALLERY = "manifest-gallery-01";
    private static final String MANY = "manifest-many-files-01";
    private static final int MANY_FILES = 10_000;

    @TempDir
    static Path root;
    private static TestService service;

    @BeforeAll
    static void start() throws Exception {
        TestFiles.random(root.resolve(GALLERY + "/a.jpg"), 1000, 1);
        Files.createDirectories(root.resolve(GALLERY + "/sub"));
        Files.writeString(root.resolve(GALLERY + "/sub/b.txt"), "hello");
        Path many = Files.createDirectory(root.resolve(MANY));
        // Links to one empty file: no 10,000 inodes to make (seconds on a busy disk).
        Path empty = Files.createFile(many.resolve("f00000.jpg"));
        for (int i = 1; i < MANY_FILES; i++) {
            Files.createLink(many.resolve(String.format("f%05d.jpg", i)), empty);
        }
        service = TestService.start(root);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    /** Present is enough, whatever its value, beside other fields or not. */
    @ParameterizedTest
    @ValueSource(strings = {"?list", "?list=", "?list=no", "?name=x&list&file=a.jpg"})
    void list_inTheQuery_anyValueOrNone_theManifest(String query) throws Exception {
        RawHttp.Response response = get("/archive/" + GALLERY + "/" + query, "");

        assertThat(response.code()).isEqualTo(200);
        assertThat(response.head().headers().get("content-type")).isEqualTo("application/json");
    }

    /** A form's fields are the query's: its selection, its name, and whether it asks for the manifest. */
    @Test
    void list_inAForm_theManifestOfExactlyTheChosenFiles() throws Exception {
        String form = "file=sub%2Fb.txt&name=Holiday&list=";
        RawHttp.Response response = RawHttp.exchange(service.port(), "POST /archive/" + GALLERY + "/ HTTP/1.1\r\n"
                + "Host: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + form.length()
                + "\r\n\r\n" + form);

        assertThat(response.code()).isEqualTo(200);
        assertThat(ManifestReader.eval(response.body(), "[m['name'], [e['name'] for e in m['entries']]]", root))
                .isEqualTo("[\"Holiday.zip\", [\"sub/\", \"sub/b.txt\"]]");
    }

    /** A manifest is sent whole: a Range would cut its JSON (RFC 9110 lets a server ignore Range). */
    @Test
    void range_ignored_theWholeManifestAndAcceptRangesNone() throws Exception {
        RawHttp.Response whole = get("/archive/" + GALLERY + "/?list", "");
        RawHttp.Response ranged = get("/archive/" + GALLERY + "/?list", "Range: bytes=0-9\r\n");

        assertThat(ranged.code()).isEqualTo(200);
        assertThat(ranged.body()).isEqualTo(whole.body());
        assertThat(ranged.head().headers()).containsEntry("accept-ranges", "none").doesNotContainKey("content-range");
    }

    /** The archive's conditions: its ETag and Last-Modified validate the manifest too. */
    @Test
    void conditions_asTheArchives_ifMatchAnother412_ifModifiedSinceItsTime304() throws Exception {
        RawHttp.Head head = get("/archive/" + GALLERY + "/", "").head();
        String etag = head.headers().get("etag");

        RawHttp.Response other = get("/archive/" + GALLERY + "/?list", "If-Match: \"another\"\r\n");
        RawHttp.Response unmodified = get("/archive/" + GALLERY + "/?list",
                "If-Modified-Since: " + head.headers().get("last-modified") + "\r\n");

        assertThat(other.code()).isEqualTo(412);
        assertThat(other.head().headers()).containsEntry("etag", etag);
        assertThat(unmodified.code()).isEqualTo(304);
        assertThat(get("/archive/" + GALLERY + "/?list", "If-Match: " + etag + "\r\n").code()).isEqualTo(200);
    }

    /** A HEAD has the GET's length and no body: the next answer on the connection starts right after its head. */
    @Test
    void head_theGetsLengthAndNoBody_theNextAnswerOnTheConnectionReadsClean() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            RawHttp.Head head = head(http, "/archive/" + GALLERY + "/?list");
            http.send("GET /archive/" + GALLERY + "/?list HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Head get = http.readHead();
            byte[] json = http.readExactly((int) get.contentLength());

            assertThat(head.code()).isEqualTo(200);
            assertThat(get.code()).isEqualTo(200);
            assertThat(head.contentLength()).isEqualTo(json.length);
            assertThat(json).isEqualTo(get("/archive/" + GALLERY + "/?list", "").body());
        }
    }

    @Test
    void selection_notAFileOfTheFolder_theArchives404() throws Exception {
        RawHttp.Response manifest = get("/archive/" + GALLERY + "/?file=a.jpg&file=nope.jpg&list", "");
        RawHttp.Response archive = get("/archive/" + GALLERY + "/?file=a.jpg&file=nope.jpg", "");

        assertThat(manifest.code()).isEqualTo(404);
        assertThat(manifest.text()).isEqualTo(archive.text()).isEqualTo("No such file in this folder: nope.jpg\n");
    }

    /** Some 75 bytes an entry; listed in the access log as any answer, with the bytes it sent. */
    @Test
    void folderOf10000Files_everyEntry_theArchivesLength_inTheAccessLog() throws Exception {
        try (LogCapture access = LogCapture.named("access")) {
            RawHttp.Response manifest = get("/archive/" + MANY + "/?list", "");
            long length = head("/archive/" + MANY + "/").contentLength();

            assertThat(manifest.code()).isEqualTo(200);
            assertThat(ManifestReader.eval(manifest.body(),
                    "[m['entryCount'], len(m['entries']), m['entries'][-1]['name'], m['length'], m['zip64']]", root))
                    .isEqualTo("[" + MANY_FILES + ", " + MANY_FILES + ", \"f09999.jpg\", " + length + ", false]");
            assertThat(access.await(line -> line.contains("\"GET /archive/" + MANY + "/?list HTTP/1.1\" 200 "
                    + manifest.body().length + " "), Duration.ofSeconds(10))).isNotNull();
        }
    }

    /** The README's example has the fields of a real manifest, and its table names each of them. */
    @Test
    void readme_exampleHasARealManifestsFields_itsTableEach() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Matcher example = Pattern.compile("(?s)```json\\n(.*?)```").matcher(readme);
        assertThat(example.find()).as("README.md's json block").isTrue();
        byte[] documented = example.group(1).getBytes(StandardCharsets.UTF_8);
        byte[] real = get("/archive/" + GALLERY + "/?list", "").body();

        for (String fields : List.of("sorted(m)", "sorted(m['entries'][0])")) {
            String names = ManifestReader.eval(real, fields, root);
            assertThat(ManifestReader.eval(documented, fields, root)).isEqualTo(names);
            Matcher field = Pattern.compile("\"(\\w+)\"").matcher(names);
            while (field.find()) {
                // a row of its own, or named in the row of the entries
                assertThat(readme).contains(fields.equals("sorted(m)") ? "| `" + field.group(1) + "` |"
                        : "`" + field.group(1) + "` ");
            }
        }
    }

    private static RawHttp.Head head(String target) throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            return head(http, target);
        }
    }

    private static RawHttp.Head head(RawHttp http, String target) throws Exception {
        http.send("HEAD " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        return http.readHead();
    }

    private static RawHttp.Response get(String target, String headers) throws Exception {
        return RawHttp.exchange(service.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
    }
}
