package dev.downloadservice.source.s3;

import dev.downloadservice.source.FileVersion;
import dev.downloadservice.source.Reads.Span;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.testing.S3Server;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * A real S3 API server (S3Proxy) with a bucket of objects of random bytes, and an
 * {@link ObjectStore} of it, for the tests of the read-ahead window. Close it when done.
 */
final class ObjectsInStore implements AutoCloseable {

    static final String BUCKET = "parts";

    final S3Server s3;
    final ObjectStore store;
    private final ExecutorService requests = Executors.newFixedThreadPool(2);

    ObjectsInStore() throws Exception {
        s3 = S3Server.start(null);
        s3.createBucket(BUCKET);
        S3AsyncClient client = S3AsyncClient.builder()
                .endpointOverride(s3.endpoint())
                .region(Region.of(S3Server.REGION))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Server.ACCESS_KEY, S3Server.SECRET_KEY)))
                .build();
        store = new ObjectStore(client, "the test store at " + s3.endpoint(), BUCKET, Duration.ofSeconds(10), requests);
    }

    /** Random bytes, the same for the same seed. */
    static byte[] content(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Puts the object and returns it as a listing would: its key, size and ETag. */
    SourceFile put(String key, byte[] content) {
        s3.putDirectly(BUCKET, key, content);
        return listed(key);
    }

    /** Puts new bytes under the key: the listed version, with the old ETag, no longer exists. */
    void replace(String key, byte[] content) {
        s3.putDirectly(BUCKET, key, content);
    }

    private SourceFile listed(String key) {
        HeadObjectResponse head = s3.client().headObject(b -> b.bucket(BUCKET).key(key));
        return new SourceFile(key, key, head.contentLength(), 0644,
                FileVersion.ofMillis(head.eTag(), head.lastModified().toEpochMilli()));
    }

    /**
     * Reads the spans through the window in chunks, as ArchiveBody does: in order, up to
     * three chunks asked for at once, each waited for before its bytes are used.
     */
    static byte[] readAll(ReadAhead window, List<Span> spans, int chunk) throws Exception {
        return readAll(window, spans, chunk, 0);
    }

    /** As {@link #readAll(ReadAhead, List, int)}, pausing after each chunk as a client slower than the store. */
    static byte[] readAll(ReadAhead window, List<Span> spans, int chunk, long pauseMillis) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ArrayDeque<Chunk> asked = new ArrayDeque<>();
        for (Span span : spans) {
            for (long at = span.from(); at < span.end(); at += chunk) {
                if (asked.size() == 3) {
                    asked.poll().writeTo(out);
                    Thread.sleep(pauseMillis);
                }
                ByteBuffer target = ByteBuffer.allocate((int) Math.min(chunk, span.end() - at));
                asked.add(new Chunk(target, window.read(span.file(), at, span.end(), target)));
            }
        }
        while (!asked.isEmpty()) {
            asked.poll().writeTo(out);
        }
        return out.toByteArray();
    }

    /** A chunk asked for, and the read filling it. */
    record Chunk(ByteBuffer target, CompletableFuture<Void> read) {
        void writeTo(ByteArrayOutputStream out) throws Exception {
            read.get(30, TimeUnit.SECONDS);
            out.write(target.array());
        }
    }

    /** The bytes the spans cover, straight from the contents put. */
    static byte[] expected(List<Span> spans, List<byte[]> contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < spans.size(); i++) {
            Span span = spans.get(i);
            out.writeBytes(Arrays.copyOfRange(contents.get(i), (int) span.from(), (int) span.end()));
        }
        return out.toByteArray();
    }

    @Override
    public void close() throws Exception {
        store.close();
        requests.shutdownNow();
        s3.close();
    }
}
