package dev.downloadservice.testing;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.S3Exceptions;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * A real S3 API server (S3Proxy 4, the test classpath's) in this process on loopback, with
 * signed requests, and a plain client to put objects into it. Stop it when done.
 *
 * <p>S3Proxy keeps no checksums, so objects put with {@code storedCrc32} get theirs from
 * this class: it answers a HEAD for them with {@code x-amz-checksum-crc32}, as S3 does
 * for an object uploaded with a full-object CRC-32.
 */
public final class S3Server implements S3Store {

    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key";
    public static final String REGION = "us-east-1";

    private final S3Proxy proxy;
    private final BlobStore store;
    private final S3Client client;

    private S3Server(S3Proxy proxy, BlobStore store, S3Client client) {
        this.proxy = proxy;
        this.store = store;
        this.client = client;
    }

    /** @param storage where the objects are kept; null to keep them in memory */
    public static S3Server start(Path storage) throws Exception {
        BlobStore store = new WithStoredChecksums(storage == null
                ? new TransientNio2BlobStore() : new FilesystemNio2BlobStore(storage.toString()));
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .stopTimeout(0) // stopping drops open connections at once, as a store that fails would
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                throw new IllegalStateException("expected S3Proxy to start within 10 s, found state " + proxy.getState());
            }
            Thread.sleep(5);
        }
        return new S3Server(proxy, store, plainClient(URI.create("http://127.0.0.1:" + proxy.getPort())));
    }

    /**
     * A blocking client that sends an upload as one signed body, as most uploaders do: no
     * checksum it is not asked for (the SDK's default, a trailing checksum on every upload,
     * is refused by S3Proxy 2.6.0) and no aws-chunked encoding, which S3Proxy 2.6.0 would
     * keep as the object's Content-Encoding.
     */
    static S3Client plainClient(URI endpoint) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(REGION))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true)
                        .chunkedEncodingEnabled(false).build())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClient(UrlConnectionHttpClient.create())
                .build();
    }

    @Override
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    @Override
    public S3Client client() {
        return client;
    }

    @Override
    public void put(String bucket, String key, byte[] content, boolean storedCrc32) {
        String objectKey = bucket + "/" + key;
        ((WithStoredChecksums) store).crc32s.remove(objectKey);
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
        if (storedCrc32) {
            CRC32 crc = new CRC32();
            crc.update(content);
            ((WithStoredChecksums) store).crc32s.put(objectKey,
                    Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array()));
        }
    }

    /** As a store whose copy rotted: a HEAD tells a CRC-32 its bytes do not have. */
    public void storeWrongCrc32(String bucket, String key) {
        ((WithStoredChecksums) store).crc32s.put(bucket + "/" + key,
                Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4}));
    }

    @Override
    public void putDirectly(String bucket, String key, byte[] content) {
        store.putBlob(PutObjectRequest.builder().bucket(bucket).key(key).contentLength((long) content.length).build(),
                new ByteArrayInputStream(content));
    }

    @Override
    public boolean keepsChecksums() {
        return true;
    }

    @Override
    public void close() throws Exception {
        client.close();
        proxy.stop();
    }

    /**
     * The next {@code count} listings and GETs answer 503 SlowDown, as a throttling store
     * does (HEADs are not touched).
     */
    public void throttleNext(int count) {
        ((WithStoredChecksums) store).throttled.set(count);
    }

    /** Listings and GETs answered 503 so far. */
    public int throttledAnswers() {
        return ((WithStoredChecksums) store).throttledAnswers.get();
    }

    /** The store, answering HEAD with the checksums this class keeps for it, and throttling on demand. */
    private static final class WithStoredChecksums extends ForwardingBlobStore {
        /** "bucket/key" → base64 of the big-endian CRC-32. */
        private final Map<String, String> crc32s = new ConcurrentHashMap<>();
        private final AtomicInteger throttled = new AtomicInteger();
        private final AtomicInteger throttledAnswers = new AtomicInteger();

        WithStoredChecksums(BlobStore delegate) {
            super(delegate);
        }

        private void maybeThrottle() {
            if (throttled.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throttledAnswers.incrementAndGet();
                throw S3Exceptions.fromStatusCode(503);
            }
        }

        @Override
        public ListObjectsV2Response list(ListObjectsV2Request request) {
            maybeThrottle();
            return super.list(request);
        }

        @Override
        public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
            maybeThrottle();
            return super.getBlob(request);
        }

        @Override
        public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
            HeadObjectResponse response = super.blobMetadata(request);
            String crc = crc32s.get(request.bucket() + "/" + request.key());
            return crc == null || response == null ? response
                    : response.toBuilder().checksumCRC32(crc).checksumType(ChecksumType.FULL_OBJECT).build();
        }
    }
}
