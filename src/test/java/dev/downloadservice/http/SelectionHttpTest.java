package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A selection of a folder's files ({@code file=}, by GET or by a form's POST) and the archive's name
 * ({@code name=}), over real HTTP against the real server, the archives read back by the independent readers.
 */
class SelectionHttpTest {

    private static final String GALLERY = "selection-gallery-0001";
    private static final String MANY = "selection-many-files-01";
    private static final int MANY_FILES = 10_000;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path root;
    @TempDir
    static Path outside;
    @TempDir
    static Path downloads;
    private static TestService service;
    /** The gallery's files as the test put them: what a selection's archive must hold of them. */
    private static final Map<String, byte[]> files = new LinkedHashMap<>();
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        files.put("a.jpg", TestFiles.randomBytes(300_000, 1));
        files.put("b.txt", "hello".getBytes(StandardCharsets.UTF_8));
        files.put("sub/dir/c.txt", TestFiles.randomBytes(10_000, 2));
        files.put("sub/d.txt", TestFiles.randomBytes(100, 3));
        files.put("Фото на пляже.jpg", TestFiles.randomBytes(5_000, 4));
        files.put("a+b;c&d=e%f.txt", TestFiles.randomBytes(10, 5));
        Path gallery = Files.createDirectory(root.resolve(GALLERY));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.createDirectories(gallery.resolve(file.getKey()).getParent());
            Files.write(gallery.resolve(file.getKey()), file.getValue());
        }
        Files.createDirectories(gallery.resolve("empty dir"));
        Files.writeString(gallery.resolve(".hidden.txt"), "hidden");
        Files.writeString(outside.resolve("secret.txt"), "CANARY-SECRET");
        Files.createSymbolicLink(gallery.resolve("outside.txt"), outside.resolve("secret.txt"));
        Path many = Files.createDirectory(root.resolve(MANY));
        // Links to one empty file: no CRC to compute, and no 10,000 inodes to make (seconds on a busy disk).
        Path empty = Files.createFile(many.resolve(manyName(0)));
        for (int i = 1; i < MANY_FILES; i++) {
            Files.createLink(many.resolve(manyName(i)), empty);
        }
        service = TestService.start(root);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @Test
    void get_selection_everyReaderFindsExactlyTheChosenFilesAndTheirFolders() throws Exception {
        List<String> chosen = List.of("sub/dir/c.txt", "a.jpg", "Фото на пляже.jpg", "a+b;c&d=e%f.txt");
        HttpResponse<Path> response = client.send(HttpRequest.newBuilder(service.uri(archive(query(chosen)))).build(),
                HttpResponse.BodyHandlers.ofFile(downloads.resolve("selection.zip")));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(Files.size(response.body()));
        for (ZipReader reader : ZipReader.values()) {
            reader.check(response.body(), ExpectedEntry.fromFiles(chosenFiles(chosen)));
        }
    }

    @Test
    void folders_ofASelection_asInTheWholeFolder() throws Exception {
        try (ZipFile whole = ZipFile.builder().setPath(download("")).get();
             ZipFile selection = ZipFile.builder().setPath(download(query(List.of("sub/dir/c.txt")))).get()) {
            assertThat(Collections.list(selection.getEntriesInPhysicalOrder()).stream().map(ZipArchiveEntry::getName))
                    .containsExactly("sub/", "sub/dir/", "sub/dir/c.txt");
            for (String folder : List.of("sub/", "sub/dir/")) {
                ZipArchiveEntry chosen = selection.getEntry(folder);
                ZipArchiveEntry all = whole.getEntry(folder);
                assertThat(chosen.getUnixMode()).isEqualTo(all.getUnixMode()).isNotZero();
                assertThat(chosen.getLastModifiedTime()).isEqualTo(all.getLastModifiedTime());
                assertThat(chosen.getExtra()).isEqualTo(all.getExtra());
            }
        }
    }

    @Test
    void selection_inAnyOrderWithRepeats_sameBytesAndEtag_otherSelectionsOtherEtags() throws Exception {
        HttpResponse<byte[]> one = get(archive(query(List.of("a.jpg", "b.txt", "sub/d.txt"))));
        HttpResponse<byte[]> permuted = get(archive(query(List.of("sub/d.txt", "b.txt", "a.jpg", "b.txt"))));
        HttpResponse<byte[]> other = get(archive(query(List.of("a.jpg", "b.txt"))));
        HttpResponse<byte[]> whole = get(archive(""));

        assertThat(permuted.body()).isEqualTo(one.body());
        assertThat(etag(permuted)).isEqualTo(etag(one));
        assertThat(List.of(etag(one), etag(other), etag(whole))).doesNotHaveDuplicates();
    }

    @Test
    void post_form_sameAnswerAsTheGet_rangesAndHeadToo() throws Exception {
        String fields = query(List.of("b.txt", "a.jpg")) + "&name=" + URLEncoder.encode("Свадьба 2024", StandardCharsets.UTF_8);
        HttpResponse<byte[]> get = get(archive(fields));
        HttpResponse<byte[]> post = post(archive(""), fields);

        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).isEqualTo(get.body());
        for (String header : List.of("etag", "content-length", "content-disposition", "last-modified")) {
            assertThat(post.headers().firstValue(header)).as(header).isPresent().isEqualTo(get.headers().firstValue(header));
        }
        HttpResponse<byte[]> range = client.send(formPost(archive(""), fields).header("Range", "bytes=100-199")
                .header("If-Range", etag(get)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(range.statusCode()).isEqualTo(206);
        assertThat(range.body()).isEqualTo(Arrays.copyOfRange(get.body(), 100, 200));
        HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(service.uri(archive(fields)))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(head.headers().firstValue("etag")).isEqualTo(get.headers().firstValue("etag"));
        assertThat(head.headers().firstValue("content-length")).isEqualTo(get.headers().firstValue("content-length"));
    }

    /** A form with every file of a folder of 10,000: the request line could never hold it. */
    @Test
    void post_everyFileOfALargeFolder_isTheWholeFolder() throws Exception {
        List<String> every = IntStream.range(0, MANY_FILES).mapToObj(SelectionHttpTest::manyName).toList();
        HttpResponse<byte[]> post = client.send(formPost(archive(MANY, ""), query(every)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> whole = get(archive(MANY, ""));

        assertThat(post.statusCode()).isEqualTo(200);
        // The same files and folders are the same archive: the same bytes, so the same ETag.
        assertThat(etag(post)).isEqualTo(etag(whole));
        assertThat(post.body()).isEqualTo(whole.body());
        Path zip = Files.write(downloads.resolve("many.zip"), post.body());
        try (ZipFile read = ZipFile.builder().setPath(zip).get()) {
            assertThat(Collections.list(read.getEntries())).hasSize(MANY_FILES);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nope.jpg", ".hidden.txt", "outside.txt", "sub/../a.jpg", "../" + GALLERY + "/a.jpg",
            "/a.jpg", "sub", "sub/", "empty dir", "A.JPG", "b.txt\u0007"})
    void notAFileOfTheFolder_404NamingIt_nothingElse(String path) throws Exception {
        HttpResponse<byte[]> response = get(archive(query(List.of("a.jpg", path))));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
        assertThat(new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo("No such file in this folder: " + path.replace("\u0007", "\\x07") + "\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET ?file=", "GET ?file=&file=", "POST ", "POST name=x", "POST file="})
    void noFileSelected_400(String request) throws Exception {
        String[] methodAndFields = request.split(" ", 2);
        HttpResponse<byte[]> response = methodAndFields[0].equals("GET") ? get(archive(methodAndFields[1]))
                : post(archive(""), methodAndFields[1]);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("Bad request: no file selected\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded; charset=iso-8859-1"})
    void post_notAUrlEncodedForm_415(String type) throws Exception {
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(service.uri(archive("")))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString("file=a.jpg")).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(415);
    }

    @Test
    void post_formOverTheLimit_413BeforeItsBody() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("POST " + archive("") + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: " + ((1 << 20) + 1) + "\r\nExpect: 100-continue\r\n\r\n");

            assertThat(http.readHead().code()).isEqualTo(413);
        }
    }

    /**
     * A browser sends its whole form before it reads an answer: the rest of a form over the limit is read (up to
     * twice the limit), so the connection goes on, and the client reads the 413 rather than a reset.
     */
    @Test
    void post_formOverTheLimitSentWhole_413ThenTheConnectionServesOn() throws Exception {
        String form = "file=" + "x".repeat(3 << 19); // 1.5 MiB
        String next = query(List.of("b.txt"));
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(formRequest(form.length()) + form);
            RawHttp.Head refused = http.readHead();
            http.readExactly((int) refused.contentLength());
            http.send(formRequest(next.length()) + next);

            assertThat(refused.code()).isEqualTo(413);
            assertThat(http.readHead().code()).isEqualTo(200);
        }
    }

    @Test
    void post_chunkedFormGrowingOverTheLimit_413() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            int size = (1 << 20) + 1;
            http.send("POST " + archive("") + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(size) + "\r\n" + "f".repeat(size) + "\r\n");

            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isEqualTo(413);
            assertThat(new String(http.readExactly((int) head.contentLength()), StandardCharsets.UTF_8))
                    .isEqualTo("Form too large: at most 1048576 bytes\n");
        }
    }

    /** curl sends a larger form only after a 100 Continue (or a second without one). */
    @Test
    void post_expectingContinue_getsItThenTheArchive_andTheAccessLogSaysPost() throws Exception {
        String body = query(List.of("b.txt"));
        try (LogCapture access = LogCapture.named("access"); RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("POST " + archive("") + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: " + body.length() + "\r\nExpect: 100-continue\r\n\r\n");
            assertThat(http.readHead().code()).isEqualTo(100);
            http.send(body);

            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isEqualTo(200);
            assertThat(http.readExactly((int) head.contentLength())).isEqualTo(get(archive(body)).body());
            assertThat(access.await(l -> l.contains("\"POST " + archive("") + " HTTP/1.1\" 200"), WAIT)).isNotNull();
        }
    }

    @Test
    void name_cyrillic_survivesInEveryClientsParse() throws Exception {
        String disposition = get(archive("?name=" + URLEncoder.encode("Свадьба 2024", StandardCharsets.UTF_8)))
                .headers().firstValue("content-disposition").orElseThrow();

        assertThat(disposition).isEqualTo("attachment; filename=\"_ 2024.zip\"; filename*=UTF-8''"
                + "%D0%A1%D0%B2%D0%B0%D0%B4%D1%8C%D0%B1%D0%B0%202024.zip");
        // Python's email package decodes both forms; a recipient takes the RFC 8187 one where it has both (RFC 6266).
        Commands.Result python = Commands.run(WAIT, "python3", "-c", """
                import sys, email.message, email.utils
                m = email.message.Message()
                m['Content-Disposition'] = sys.argv[1]
                names = [v for k, v in m.get_params(header='content-disposition') if k == 'filename']
                plain = [v for v in names if not isinstance(v, tuple)]
                extended = [email.utils.collapse_rfc2231_value(v) for v in names if isinstance(v, tuple)]
                sys.stdout.buffer.write('|'.join(plain + extended).encode('utf-8'))
                """, disposition);
        assertThat(python.exit()).as(python.describe()).isZero();
        assertThat(python.out()).isEqualTo("_ 2024.zip|Свадьба 2024.zip");
    }

    /** curl -J takes the plain filename only: the name it saves must stay in the folder it saves to. */
    @ParameterizedTest
    @ValueSource(strings = {"../../escape", "a/b\\c\"d", "..", "\r\nSet-Cookie: x=1"})
    void name_hostile_curlSavesASafeFileInItsFolder(String name) throws Exception {
        Path into = Files.createTempDirectory(downloads, "curl");
        Commands.Result curl = Commands.run(WAIT, new ProcessBuilder("curl", "-sS", "-OJ", "--output-dir", into.toString(),
                service.uri(archive("?file=b.txt&name=" + URLEncoder.encode(name, StandardCharsets.UTF_8))).toString()));

        assertThat(curl.exit()).as(curl.describe()).isZero();
        try (var saved = Files.list(into)) {
            List<Path> all = saved.toList();
            assertThat(all).hasSize(1);
            assertThat(all.get(0).getFileName().toString()).endsWith(".zip").doesNotContain("/", "\\", "\"", "\r", "\n");
        }
        try (var leaked = Files.list(downloads)) {
            assertThat(leaked.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("escape"));
        }
    }

    @Test
    void name_none_theFolders() throws Exception {
        assertThat(get(archive("?file=b.txt")).headers().firstValue("content-disposition"))
                .hasValue("attachment; filename=\"" + GALLERY + ".zip\"");
    }

    private static String formRequest(int length) {
        return "POST " + archive("") + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + length + "\r\n\r\n";
    }

    private static String manyName(int i) {
        return String.format("photo-%05d.jpg", i);
    }

    private static Map<String, byte[]> chosenFiles(List<String> chosen) {
        return chosen.stream().collect(Collectors.toMap(name -> name, files::get));
    }

    /** {@code file=…&file=…}, each path %-escaped as a form is. */
    private static String query(List<String> paths) {
        List<String> fields = new ArrayList<>();
        for (String path : paths) {
            fields.add("file=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
        }
        return String.join("&", fields);
    }

    private static String archive(String fields) {
        return archive(GALLERY, fields);
    }

    private static String archive(String folder, String fields) {
        return "/archive/" + folder + "/" + (fields.isEmpty() || fields.startsWith("?") ? fields : "?" + fields);
    }

    private Path download(String fields) throws Exception {
        Path zip = Files.createTempFile(downloads, "download", ".zip");
        Files.write(zip, get(archive(fields)).body());
        return zip;
    }

    private HttpResponse<byte[]> get(String target) throws Exception {
        return client.send(HttpRequest.newBuilder(service.uri(target)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> post(String target, String form) throws Exception {
        return client.send(formPost(target, form).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest.Builder formPost(String target, String form) {
        return HttpRequest.newBuilder(service.uri(target)).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
    }

    private static String etag(HttpResponse<?> response) {
        return response.headers().firstValue("etag").orElseThrow();
    }
}
