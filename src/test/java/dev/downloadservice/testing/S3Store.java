package dev.downloadservice.testing;

import java.net.URI;
import java.nio.file.Path;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 API server on loopback, with signed requests ({@link S3Server#ACCESS_KEY}), that a
 * test puts objects into and the service reads. Stop it when done.
 */
public interface S3Store extends AutoCloseable {

    /**
     * The stores the S3 source is tested against: S3-compatible stores differ in the
     * optional headers they accept, and the service must work with each.
     */
    enum Implementation {
        /** S3Proxy 4, the test classpath's, in this process: it takes x-amz-checksum-mode and keeps checksums. */
        S3PROXY_4,
        /** S3Proxy 2.6.0, in a process of its own: it answers x-amz-checksum-mode with 501 Not Implemented. */
        S3PROXY_2;

        /** @param storage where the objects are kept; null for wherever the store likes, gone when it stops */
        public S3Store start(Path storage) throws Exception {
            return this == S3PROXY_4 ? S3Server.start(storage) : S3ProxyProcess.start(storage);
        }
    }

    URI endpoint();

    /** A plain client of the store, that sends no checksum it is not asked for ({@link S3Server#plainClient}). */
    S3Client client();

    default void createBucket(String bucket) {
        client().createBucket(b -> b.bucket(bucket));
    }

    /**
     * Puts an object over HTTP. With {@code storedCrc32}, a HEAD with checksum mode then
     * tells its full-object CRC-32, where the store keeps checksums at all
     * ({@link #keepsChecksums()}); a store that keeps none ignores it, as such a store does.
     */
    default void put(String bucket, String key, byte[] content, boolean storedCrc32) {
        client().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    /**
     * Puts an object straight into the store's storage, not over HTTP: tens of thousands of
     * objects in seconds. The store makes its ETag as for any upload.
     */
    void putDirectly(String bucket, String key, byte[] content) throws Exception;

    /** Whether objects put with {@code storedCrc32} have their CRC-32 told by a HEAD. */
    boolean keepsChecksums();
}
