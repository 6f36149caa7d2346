package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Resuming and revalidating over real HTTP (RFC 9110 sections 13 and 14). */
class RangeHttpTest {

    private static final int FILE = 1 << 20;

    @TempDir
    static Path root;
    private static TestService service;
    private static byte[] whole;
    private static String etag;
    private static String lastModified;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path folder = Files.createDirectory(root.resolve("r"));
        for (int i = 1; i <= 3; i++) {
            TestFiles.random(folder.resolve(i + ".jpg"), FILE, i);
        }
        Files.writeString(folder.resolve("4.txt"), "small");
        service = TestService.start(root);
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(service.uri("/archive/r/")).build(), HttpResponse.BodyHandlers.ofByteArray());
        whole = response.body();
        etag = response.headers().firstValue("etag").orElseThrow();
        lastModified = response.headers().firstValue("last-modified").orElseThrow();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @Test
    void get_whole_carriesValidatorsAndAcceptRanges() throws Exception {
        HttpResponse<byte[]> response = get();

        assertThat(response.headers().firstValue("accept-ranges")).hasValue("bytes");
        assertThat(response.headers().firstValue("cache-control")).hasValue("private");
        assertThat(etag).matches("\"[A-Za-z0-9_-]{24}\"");
        assertThat(response.body()).isEqualTo(whole);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=0-0", "bytes=100-199", "bytes=1048000-1049999", "bytes=-22", "bytes=3000000-"})
    void get_range_206WithExactlyThoseBytes(String range) throws Exception {
        HttpResponse<byte[]> response = get("Range", range);

        ByteRange.Part part = (ByteRange.Part) ByteRange.parse(range, whole.length);
        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.headers().firstValue("content-range"))
                .hasValue("bytes " + part.start() + "-" + (part.end() - 1) + "/" + whole.length);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(whole, (int) part.start(), (int) part.end()));
        assertThat(response.headers().firstValue("etag")).hasValue(etag);
    }

    @Test
    void get_rangePastTheEnd_416WithLength() throws Exception {
        HttpResponse<byte[]> response = get("Range", "bytes=" + whole.length + "-");

        assertThat(response.statusCode()).isEqualTo(416);
        assertThat(response.headers().firstValue("content-range")).hasValue("bytes */" + whole.length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=5-1", "bytes=0-1,5-9", "pages=1-2", "bytes=x"})
    void get_malformedOrMultipleRanges_200Whole(String range) throws Exception {
        HttpResponse<byte[]> response = get("Range", range);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(whole);
    }

    @Test
    void get_ifRangeCurrentEtag_206_dateOrOtherTag200() throws Exception {
        assertThat(get("Range", "bytes=10-19", "If-Range", etag).statusCode()).isEqualTo(206);
        assertThat(get("Range", "bytes=10-19", "If-Range", lastModified).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> stale = get("Range", "bytes=10-19", "If-Range", "\"stale\"");
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(stale.body()).isEqualTo(whole);
    }

    @Test
    void get_ifNoneMatchOrIfModifiedSince_304WithoutBody() throws Exception {
        HttpResponse<byte[]> byTag = get("If-None-Match", etag);
        HttpResponse<byte[]> byDate = get("If-Modified-Since", lastModified);

        assertThat(byTag.statusCode()).isEqualTo(304);
        assertThat(byTag.body()).isEmpty();
        assertThat(byTag.headers().firstValue("etag")).hasValue(etag);
        assertThat(byDate.statusCode()).isEqualTo(304);
    }

    @Test
    void get_ifMatchOtherTag_412() throws Exception {
        assertThat(get("If-Match", "\"other\"").statusCode()).isEqualTo(412);
        assertThat(get("If-Match", etag).statusCode()).isEqualTo(200);
    }

    @Test
    void coldDownload_readsEachLargeFileOnceForItsCrcAndSmallFilesNotAtAll() throws Exception {
        try (TestService fresh = TestService.start(root)) {
            ChecksumCache checksums = fresh.service().checksums();

            byte[] body = client.send(HttpRequest.newBuilder(fresh.uri("/archive/r/")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body();

            assertThat(body).isEqualTo(whole);
            assertThat(checksums.misses()).as("one CRC read per large file").isEqualTo(3);
            assertThat(checksums.bytesRead()).as("the small file's CRC comes from the bytes sent").isEqualTo(3L * FILE);
        }
    }

    @Test
    void range_insideOneBody_readsNoFileForACrc() throws Exception {
        try (TestService fresh = TestService.start(root)) {
            ChecksumCache checksums = fresh.service().checksums();
            long bodyOfFile2 = whole.length / 2; // well inside 2.jpg's bytes

            HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(fresh.uri("/archive/r/"))
                    .header("Range", "bytes=" + bodyOfFile2 + "-" + (bodyOfFile2 + 999)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());

            assertThat(response.body()).isEqualTo(Arrays.copyOfRange(whole, (int) bodyOfFile2, (int) bodyOfFile2 + 1000));
            assertThat(checksums.misses()).isZero();
            assertThat(checksums.bytesRead()).isZero();
        }
    }

    @Test
    void range_overOneLocalHeader_readsOnlyThatFileForItsCrc() throws Exception {
        try (TestService fresh = TestService.start(root)) {
            ChecksumCache checksums = fresh.service().checksums();
            int header3 = indexOf(whole, "3.jpg".getBytes()) - 30; // the name follows the 30 fixed bytes

            HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(fresh.uri("/archive/r/"))
                    .header("Range", "bytes=" + header3 + "-" + (header3 + 40)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());

            assertThat(response.body()).isEqualTo(Arrays.copyOfRange(whole, header3, header3 + 41));
            assertThat(checksums.misses()).isEqualTo(1);
            assertThat(checksums.bytesRead()).isEqualTo(FILE);
        }
    }

    @Test
    void curlResume_fromARandomByte_givesAnArchiveThatVerifies() throws Exception {
        Path download = root.resolve("resumed.zip");
        Random random = new Random();
        for (int i = 0; i < 5; i++) {
            int cut = random.nextInt(whole.length);
            Files.write(download, Arrays.copyOf(whole, cut));

            Commands.Result curl = Commands.run(Duration.ofMinutes(1), "curl", "-sS", "-f", "-C", "-",
                    "-o", download.toString(), service.uri("/archive/r/").toString());

            assertThat(curl.exit()).as(curl.describe()).isZero();
            assertThat(Files.readAllBytes(download)).as("resumed at byte " + cut).isEqualTo(whole);
            ZipReader.UNZIP_TEST.check(download, ExpectedEntry.fromFolder(root.resolve("r")));
        }
    }

    private HttpResponse<byte[]> get(String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(service.uri("/archive/r/"));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
