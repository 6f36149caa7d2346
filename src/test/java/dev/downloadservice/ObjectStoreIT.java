package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.S3Server;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TcpCutter;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is particular to the S3 source, against S3Proxy on loopback: paginated listings
 * of 70,000 keys, stored checksums, back-pressure from a slow client to the store, and a
 * store that stops answering. (What both sources must do alike is in
 * {@link SourceContractTest}; keys S3Proxy cannot hold are in ListingBuilderTest.)
 */
class ObjectStoreIT {

    private static final String BUCKET = "photos";

    @TempDir
    static Path temp;
    private static S3Server s3;
    private static TestService service;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start(null);
        s3.createBucket(BUCKET);
        System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
        service = TestService.start(args(s3));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        s3.close();
    }

    private static List<String> args(S3Server server) {
        return List.of("--path", "s3://" + BUCKET, "--s3-endpoint", server.endpoint().toString(),
                "--s3-region", S3Server.REGION);
    }

    @Test
    void seventyThousandKeys_listedAcrossPagesIntoOneArchive() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < 70_000; i++) {
            String name = "dir" + (i % 70) + "/photo-" + i + ".jpg";
            byte[] content = {(byte) i, (byte) (i >> 8)};
            files.put(name, content);
            s3.putDirectly(BUCKET, "many/" + name, content);
        }

        Path zip = service.download("many", temp.resolve("many.zip"));

        List<ExpectedEntry> expected = ExpectedEntry.fromFiles(files);
        assertThat(expected).hasSize(70_070);
        ZipReader.JDK_ZIP_FILE.check(zip, expected);
        ZipReader.UNZIP_TEST.check(zip, expected);
    }

    @Test
    void storedChecksum_usedWithoutReadingTheObject() throws Exception {
        byte[] withChecksum = TestFiles.randomBytes(3_000_000, 3);
        byte[] without = TestFiles.randomBytes(2_000_000, 4);
        s3.put(BUCKET, "checksums/stored.jpg", withChecksum, true);
        s3.put(BUCKET, "checksums/computed.jpg", without, false);
        long readBefore = service.service().checksums().bytesRead();

        Path zip = service.download("checksums", temp.resolve("checksums.zip"));

        for (ZipReader reader : ZipReader.values()) {
            reader.check(zip, ExpectedEntry.fromFiles(Map.of("stored.jpg", withChecksum, "computed.jpg", without)));
        }
        assertThat(service.service().checksums().bytesRead() - readBefore)
                .as("only the object without a stored CRC-32 is read for it").isEqualTo(without.length);
    }

    /** A visitor who stops reading stops the object's transfer too: the service never buffers the object. */
    @Test
    void slowClient_storeSendsOnlyWhatTheClientTakes() throws Exception {
        byte[] big = TestFiles.randomBytes(64 << 20, 5);
        s3.put(BUCKET, "slow/big.bin", big, true);
        try (RawHttp http = RawHttp.connect(service.port(), 64 * 1024)) {
            http.send("GET /archive/slow/ HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Head head = http.readHead();
            long before = metric("storage_received_bytes_total");
            assertThat(http.skip(1 << 20)).isEqualTo(1 << 20);
            Thread.sleep(1000);

            long heldBack = metric("storage_received_bytes_total") - before;
            assertThat(heldBack).as("bytes the store sent while the client took 1 MiB").isLessThan(16L << 20);
            long rest = head.contentLength() - (1 << 20);
            assertThat(http.skip(rest)).as("the rest arrives when asked for").isEqualTo(rest);
        }
    }

    /** A connection to the store that breaks mid-object is opened again from where it broke: the download completes. */
    @Test
    void storeConnectionsCut_streamsResumeAndTheArchiveIsWhole() throws Exception {
        // More than a download holds ahead (at most 64 MiB) and the sockets' buffers: the cut finds GETs mid-object.
        byte[] big = TestFiles.randomBytes(96 << 20, 9);
        s3.put(BUCKET, "cut/big.bin", big, true);
        try (TcpCutter cutter = TcpCutter.to("127.0.0.1", s3.endpoint().getPort())) {
            // The SDK (2.57) does not always tell a stream that its connection closed (aws-sdk-java-v2#6949):
            // the stall timeout is what notices, so it is short here.
            List<String> args = List.of("--path", "s3://" + BUCKET, "--s3-endpoint", "http://127.0.0.1:" + cutter.port(),
                    "--s3-region", S3Server.REGION, "--s3-timeout", "2");
            try (TestService replica = TestService.start(args);
                 RawHttp http = RawHttp.connect(replica.port(), 64 * 1024);
                 OutputStream out = Files.newOutputStream(temp.resolve("cut.zip"))) {
                http.send("GET /archive/cut/ HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Head head = http.readHead();
                assertThat(http.copy(out, 1 << 20)).isEqualTo(1 << 20);

                cutter.cutAll();
                long rest = head.contentLength() - (1 << 20);

                assertThat(http.copy(out, rest)).isEqualTo(rest);
                assertThat(metric(replica, "storage_resumes_total")).isPositive();
            }
            for (ZipReader reader : List.of(ZipReader.UNZIP_TEST, ZipReader.JDK_ZIP_FILE)) {
                reader.check(temp.resolve("cut.zip"), ExpectedEntry.fromFiles(Map.of("big.bin", big)));
            }
        }
    }

    /** A throttling store (503 SlowDown): a few answers are retried away, more make the listing a 503. */
    @Test
    void throttled_retriedUpToABoundThen503() throws Exception {
        s3.put(BUCKET, "throttled/a.jpg", "a".getBytes(), false);
        try {
            s3.throttleNext(2);
            int before = s3.throttledAnswers();

            service.download("throttled", temp.resolve("throttled.zip"));

            assertThat(s3.throttledAnswers() - before).as("retried by the SDK").isEqualTo(2);
            s3.throttleNext(1_000);
            HttpResponse<String> refused = client.send(HttpRequest.newBuilder(service.uri("/archive/throttled/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
            assertThat(s3.throttledAnswers() - before - 2).as("tries of one listing, bounded").isBetween(2, 4);
            assertThat(metric("storage_errors_total{kind=\"throttled\"}")).isPositive();
        } finally {
            s3.throttleNext(0);
        }
    }

    @Test
    void storeStopped_listingAnswers503AndADownloadUnderWayAborts() throws Exception {
        S3Server failing = S3Server.start(null);
        failing.createBucket(BUCKET);
        byte[] big = new byte[32 << 20];
        failing.put(BUCKET, "going/big.bin", big, true);
        List<String> args = new ArrayList<>(args(failing));
        args.addAll(List.of("--s3-timeout", "2"));
        try (TestService replica = TestService.start(args);
             RawHttp http = RawHttp.connect(replica.port(), 64 * 1024, 120_000)) {
            http.cutByChange("/archive/going/", 1 << 20, failing::close);

            ServiceMetrics.awaitDownloadsEnded(replica.port(), "error", 1);
            HttpResponse<String> listing = client.send(HttpRequest.newBuilder(replica.uri("/archive/going/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(listing.statusCode()).isEqualTo(503);
            assertThat(listing.headers().firstValue("retry-after")).isPresent();
        }
    }

    private long metric(String name) throws Exception {
        return metric(service, name);
    }

    private long metric(TestService from, String name) throws Exception {
        return (long) ServiceMetrics.value(ServiceMetrics.scrape(from.port()), name);
    }
}
