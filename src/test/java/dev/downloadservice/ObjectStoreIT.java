package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.S3Server;
import dev.downloadservice.testing.S3Store;
import dev.downloadservice.testing.S3Store.Implementation;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TcpCutter;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What is particular to the S3 source, against each S3 store of {@link Implementation}
 * (S3Proxy 4 and 2.6.0, which differ in the headers they take): paginated listings of
 * 70,000 keys, stored checksums, back-pressure from a slow client to the store, a store
 * that refuses checksum mode. Against S3Proxy 4 only, in this process, a store that
 * fails: throttling and stopping are the same for any store. (What both sources must do
 * alike is in {@link SourceContractTest}; keys S3Proxy cannot hold are in ListingBuilderTest.)
 */
class ObjectStoreIT {

    private static final String BUCKET = "photos";
    private static final String HEADS = "storage_requests_total{operation=\"head\"}";

    @TempDir
    static Path temp;
    /** Each store and a service reading it, started once: S3Proxy 2.6.0 takes seconds to start. */
    private static final Map<Implementation, Store> stores = new EnumMap<>(Implementation.class);
    /** S3Proxy 4 in this process, which throttles on demand. */
    private static S3Server inProcess;
    private final HttpClient client = HttpClient.newHttpClient();

    private record Store(S3Store s3, TestService service) {
    }

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
        inProcess = S3Server.start(null);
        stores.put(Implementation.S3PROXY_4, started(inProcess));
        stores.put(Implementation.S3PROXY_2, started(Implementation.S3PROXY_2.start(null)));
    }

    private static Store started(S3Store s3) throws Exception {
        s3.createBucket(BUCKET);
        return new Store(s3, TestService.start(args(s3)));
    }

    @AfterAll
    static void stop() throws Exception {
        for (Store store : stores.values()) {
            store.service().close();
            store.s3().close();
        }
    }

    private static List<String> args(S3Store server) {
        return List.of("--path", "s3://" + BUCKET, "--s3-endpoint", server.endpoint().toString(),
                "--s3-region", S3Server.REGION);
    }

    /**
     * Keys on many pages of a listing. S3Proxy 4 gets 12,000, a GET each: the case (first
     * found with 70,000) where GETs of tiny objects never gave their connection back and the
     * pool ran dry, a few hundred GETs in; 70,000 took CI close to three minutes, and ZIP64's
     * entry count is Zip64IT's. S3Proxy 2.6.0 gets fewer, as its filesystem backend walks the
     * whole folder for each page of 1,000: with 70,000 keys a page takes longer than --s3-timeout.
     */
    @ParameterizedTest
    @CsvSource({"S3PROXY_4, 12000", "S3PROXY_2, 3000"})
    void thousandsOfKeys_listedAcrossPagesIntoOneArchive(Implementation implementation, int keys) throws Exception {
        Store store = stores.get(implementation);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < keys; i++) {
            String name = "dir" + (i % 70) + "/photo-" + i + ".jpg";
            byte[] content = {(byte) i, (byte) (i >> 8)};
            files.put(name, content);
            store.s3().putDirectly(BUCKET, "many/" + name, content);
        }

        Path zip = store.service().download("many", temp.resolve(implementation + "-many.zip"));

        List<ExpectedEntry> expected = ExpectedEntry.fromFiles(files);
        assertThat(expected).hasSize(keys + 70);
        ZipReader.JDK_ZIP_FILE.check(zip, expected);
        ZipReader.UNZIP_TEST.check(zip, expected);
    }

    /**
     * Each object but the first is read once: held whole for its CRC-32, its body sent from
     * the same bytes. (The first is read for its CRC first: a download is not known to be fast
     * before it took a few bytes, and a slow one must not hold a photo.) Where the store keeps
     * a CRC-32 (S3Proxy 4 here, with one of them), a HEAD asks for it and the bytes are checked
     * against it; the archive is the same either way.
     */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void objectsReadOnce_storedChecksumAskedForWhereKept(Implementation implementation) throws Exception {
        Store store = stores.get(implementation);
        byte[] first = TestFiles.randomBytes(2_000_000, 2);
        byte[] withChecksum = TestFiles.randomBytes(3_000_000, 3);
        byte[] without = TestFiles.randomBytes(2_000_000, 4);
        store.s3().put(BUCKET, "checksums/a-first.jpg", first, false);
        store.s3().put(BUCKET, "checksums/stored.jpg", withChecksum, true);
        store.s3().put(BUCKET, "checksums/computed.jpg", without, false);
        long readBefore = bytesReadForCrcs(store.service());
        long receivedBefore = metric(store.service(), "storage_received_bytes_total");
        long headsBefore = metric(store.service(), HEADS);

        Path zip = store.service().download("checksums", temp.resolve(implementation + "-checksums.zip"));

        for (ZipReader reader : ZipReader.values()) {
            reader.check(zip, ExpectedEntry.fromFiles(
                    Map.of("a-first.jpg", first, "stored.jpg", withChecksum, "computed.jpg", without)));
        }
        assertThat(bytesReadForCrcs(store.service()) - readBefore).as("read for a CRC-32 alone: the first")
                .isEqualTo(first.length);
        assertThat(metric(store.service(), "storage_received_bytes_total") - receivedBefore)
                .as("bytes from the store: the first twice, the others once")
                .isEqualTo(2L * first.length + withChecksum.length + without.length);
        if (store.s3().keepsChecksums()) {
            assertThat(metric(store.service(), HEADS) - headsBefore).as("a HEAD each for a stored CRC-32").isEqualTo(3);
        }
    }

    /**
     * A store whose bytes do not match the CRC-32 it keeps, for an object held whole (not the
     * first): the archive is cut before that object's last byte.
     */
    @Test
    void storedChecksumNotMatchingTheBytes_downloadCutBeforeTheObjectsLastByte() throws Exception {
        Store store = stores.get(Implementation.S3PROXY_4);
        store.s3().put(BUCKET, "rotted/a.jpg", TestFiles.randomBytes(2_000_000, 5), false);
        byte[] content = TestFiles.randomBytes(1_000_000, 6);
        store.s3().put(BUCKET, "rotted/photo.jpg", content, true);
        inProcess.storeWrongCrc32(BUCKET, "rotted/photo.jpg");

        HttpResponse<byte[]> response = null;
        IOException cut = null;
        try {
            response = client.send(HttpRequest.newBuilder(store.service().uri("/archive/rotted/")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            cut = e;
        }

        assertThat(response).as("no whole archive").isNull();
        assertThat(cut).hasMessageContaining("content-length");
        assertThat(metric(store.service(), "storage_errors_total{kind=\"corrupt\"}")).isPositive();
    }

    /**
     * A store that refuses checksum mode (S3Proxy 2.6.0: 501) is asked the same HEAD again
     * without it; from then on HEADs go without it, and the log says so once.
     */
    @Test
    void checksumModeRefused_headAskedAgainWithoutIt_thenNeverWithIt() throws Exception {
        S3Store refusing = stores.get(Implementation.S3PROXY_2).s3();
        Map<String, byte[]> first = Map.of("big.bin", TestFiles.randomBytes(1_000_000, 10));
        Map<String, byte[]> next = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            next.put(i + ".bin", TestFiles.randomBytes(1_000_000, 11 + i)); // larger than a batch: each CRC-32 by HEAD
        }
        putAll(refusing, "refused-first", first);
        putAll(refusing, "refused-next", next);
        try (LogCapture log = LogCapture.named("dev.downloadservice.source.s3.ObjectStore");
             TestService replica = TestService.start(args(refusing))) {
            replica.download("refused-first", temp.resolve("refused-first.zip"));
            assertThat(metric(replica, HEADS)).as("the HEAD with checksum mode, then without").isEqualTo(2);

            Path zip = replica.download("refused-next", temp.resolve("refused-next.zip"));

            assertThat(metric(replica, HEADS)).as("the first object's, without checksum mode; the others are held whole")
                    .isEqualTo(3);
            ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFiles(next));
            assertThat(log.messages()).filteredOn(line -> line.contains("refuses x-amz-checksum-mode")).singleElement()
                    .asString().contains(refusing.endpoint().toString(), "stored CRC-32s are not used");
            assertThat(metric(replica, "storage_errors_total{kind=\"server_error\"}")).as("a refusal is no failure")
                    .isZero();
        }
    }

    private static void putAll(S3Store store, String folder, Map<String, byte[]> files) {
        files.forEach((name, content) -> store.put(BUCKET, folder + "/" + name, content, false));
    }

    /**
     * A visitor who stops reading stops the object's transfer too: the service never buffers
     * the object. (Where the store keeps no CRC-32, the object is first read once for it.)
     * Its GETs, paused, are let go within a few seconds, so that slow visitors hold no
     * connection of the store's pool; they are opened again where they stopped when the
     * visitor reads on, and the archive is whole.
     */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void slowClient_storeSendsOnlyWhatTheClientTakes_pausedGetsLetGo(Implementation implementation)
            throws Exception {
        TestService service = stores.get(implementation).service();
        byte[] big = TestFiles.randomBytes(64 << 20, 5);
        stores.get(implementation).s3().put(BUCKET, "slow/big.bin", big, true);
        Path zip = temp.resolve(implementation + "-slow.zip");
        try (RawHttp http = RawHttp.connect(service.port(), 64 * 1024);
             OutputStream out = Files.newOutputStream(zip)) {
            http.send("GET /archive/slow/ HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Head head = http.readHead();
            long before = metric(service, "storage_received_bytes_total") - bytesReadForCrcs(service);
            long parksBefore = metric(service, "storage_parks_total");
            assertThat(http.copy(out, 1 << 20)).isEqualTo(1 << 20);
            Thread.sleep(1000);

            long heldBack = metric(service, "storage_received_bytes_total") - bytesReadForCrcs(service) - before;
            assertThat(heldBack).as("bytes of the body the store sent while the client took 1 MiB")
                    .isLessThan(16L << 20);
            awaitUpTo10s(() -> metric(service, "storage_streams_open") == 0, "the paused GETs let go");
            assertThat(metric(service, "storage_parks_total") - parksBefore).isPositive();
            long rest = head.contentLength() - (1 << 20);
            assertThat(http.copy(out, rest)).as("the rest arrives when asked for").isEqualTo(rest);
        }
        ZipReader.JDK_ZIP_FILE.check(zip, ExpectedEntry.fromFiles(Map.of("big.bin", big)));
    }

    private static void awaitUpTo10s(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.call()) {
            assertThat(System.nanoTime()).as("expected within 10 s: " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** A connection to the store that breaks mid-object is opened again from where it broke: the download completes. */
    @ParameterizedTest
    @EnumSource(Implementation.class)
    void storeConnectionsCut_streamsResumeAndTheArchiveIsWhole(Implementation implementation) throws Exception {
        S3Store s3 = stores.get(implementation).s3();
        // More than a download holds ahead (at most 64 MiB) and the sockets' buffers: the cut finds GETs mid-object.
        byte[] big = TestFiles.randomBytes(96 << 20, 9);
        s3.put(BUCKET, "cut/big.bin", big, true);
        Path zip = temp.resolve(implementation + "-cut.zip");
        try (TcpCutter cutter = TcpCutter.to("127.0.0.1", s3.endpoint().getPort())) {
            // The SDK (2.57) does not always tell a stream that its connection closed (aws-sdk-java-v2#6949):
            // the stall timeout is what notices, so it is short here.
            List<String> args = List.of("--path", "s3://" + BUCKET, "--s3-endpoint", "http://127.0.0.1:" + cutter.port(),
                    "--s3-region", S3Server.REGION, "--s3-timeout", "2");
            try (TestService replica = TestService.start(args);
                 RawHttp http = RawHttp.connect(replica.port(), 64 * 1024);
                 OutputStream out = Files.newOutputStream(zip)) {
                http.send("GET /archive/cut/ HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Head head = http.readHead();
                assertThat(http.copy(out, 1 << 20)).isEqualTo(1 << 20);
                long rest = head.contentLength() - (1 << 20);

                // A cut now and after every 16 MiB: a part's GET whose rest all sits in the sockets' buffers
                // (up to 20 MiB over two loopback hops) ends without a break, so one cut alone may find none.
                for (int cut = 0; cut < 4; cut++) {
                    cutter.cutAll();
                    assertThat(http.copy(out, 16 << 20)).isEqualTo(16 << 20);
                    rest -= 16 << 20;
                }

                assertThat(http.copy(out, rest)).isEqualTo(rest);
                assertThat(metric(replica, "storage_resumes_total")).isPositive();
            }
            for (ZipReader reader : List.of(ZipReader.UNZIP_TEST, ZipReader.JDK_ZIP_FILE)) {
                reader.check(zip, ExpectedEntry.fromFiles(Map.of("big.bin", big)));
            }
        }
    }

    /** A throttling store (503 SlowDown): a few answers are retried away, more make the listing a 503. */
    @Test
    void throttled_retriedUpToABoundThen503() throws Exception {
        TestService service = stores.get(Implementation.S3PROXY_4).service();
        S3Server s3 = inProcess;
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
            assertThat(metric(service, "storage_errors_total{kind=\"throttled\"}")).isPositive();
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

    private static long metric(TestService from, String name) throws Exception {
        return (long) ServiceMetrics.value(ServiceMetrics.scrape(from.port()), name);
    }

    private static long bytesReadForCrcs(TestService from) {
        return from.service().checksums().bytesRead();
    }
}
