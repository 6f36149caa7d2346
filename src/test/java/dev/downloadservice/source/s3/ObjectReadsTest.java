package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.config.Config;
import dev.downloadservice.source.Listing;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.Reads.Read;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.testing.S3Server;
import dev.downloadservice.testing.TestFiles;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One download's reads of objects against S3Proxy: many small reads, a download closed among them, the meters. */
class ObjectReadsTest {

    private static final int OBJECTS = 3_000;
    private static S3Server s3;
    private static ExecutorService requests;
    private static ObjectFolders folders;
    private static List<SourceFile> files;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start(null);
        s3.createBucket("photos");
        for (int i = 0; i < OBJECTS; i++) {
            s3.putDirectly("photos", "g/" + i + ".txt", new byte[] {(byte) i, (byte) (i >> 8), 7});
        }
        System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
        requests = Executors.newFixedThreadPool(2);
        folders = ObjectFolders.connect(new Config.ObjectStore("photos", "", new Config.S3Connection(
                Optional.of(s3.endpoint()), Optional.of(S3Server.REGION), /* pathStyle= */ true, Duration.ofSeconds(10))),
                TestFiles.LISTED_BY_DEFAULT, requests);
        Listing listing = folders.list("g").get(30, TimeUnit.SECONDS).orElseThrow();
        files = listing.files();
    }

    @AfterAll
    static void stop() throws Exception {
        folders.close();
        requests.shutdownNow();
        s3.close();
    }

    @Test
    void manySmallReads_allFilledWithTheirObjects() throws Exception {
        List<Read> batch = new ArrayList<>();
        for (SourceFile file : files) {
            batch.add(new Read(file, 0, ByteBuffer.allocate(3)));
        }
        try (Reads reads = folders.reads()) {
            reads.read(batch).get(60, TimeUnit.SECONDS);
        }
        for (Read read : batch) {
            int i = Integer.parseInt(read.file().name().replace(".txt", ""));
            assertThat(read.target().array()).containsExactly((byte) i, (byte) (i >> 8), 7);
        }
    }

    @Test
    void bindTo_readAheadMeters_registeredAtZero() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        folders.bindTo(registry);

        assertThat(registry.get("storage.readahead.held").gauge().value()).isZero();
        assertThat(registry.get("storage.readahead.gets").gauge().value()).isZero();
        assertThat(registry.get("storage.readahead.waits").functionCounter().count()).isZero();
    }

    /** Regression: closing with thousands of reads queued drained them recursively on one stack. */
    @Test
    void closedWithReadsQueued_everyReadEndsAtOnce() throws Exception {
        List<Read> batch = new ArrayList<>();
        for (SourceFile file : files) {
            batch.add(new Read(file, 0, ByteBuffer.allocate(3)));
        }
        Reads reads = folders.reads();
        CompletableFuture<Void> all = reads.read(batch);

        reads.close();

        assertThat(all).failsWithin(Duration.ofSeconds(30));
        CompletableFuture<Void> after = reads.read(List.of(new Read(files.get(0), 0, ByteBuffer.allocate(3))));
        assertThat(after).failsWithin(Duration.ofSeconds(1));
    }
}
