package dev.downloadservice.source.s3;

import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.s3.StorageErrors.Kind;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.ResponsePublisher;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/**
 * The requests this service makes of a bucket, each counted for the metrics. Reads of
 * a listed object always carry {@code If-Match} with the listed ETag, so a replaced
 * object fails the request (412) instead of sending other bytes.
 */
final class ObjectStore {

    /** The operations counted. */
    enum Operation { LIST, HEAD, GET }

    private final S3AsyncClient client;
    private final String bucket;
    private final Map<Operation, LongAdder> requests = new EnumMap<>(Operation.class);
    private final Map<Kind, LongAdder> errors = new EnumMap<>(Kind.class);
    private final LongAdder resumes = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();

    ObjectStore(S3AsyncClient client, String bucket) {
        this.client = client;
        this.bucket = bucket;
        for (Operation operation : Operation.values()) {
            requests.put(operation, new LongAdder());
        }
        for (Kind kind : Kind.values()) {
            errors.put(kind, new LongAdder());
        }
    }

    String bucket() {
        return bucket;
    }

    /**
     * One page of keys. URL-encoded in the response (the SDK decodes them): a key with a
     * control character cannot be written in XML 1.0 and would fail the whole listing.
     */
    CompletableFuture<ListObjectsV2Response> list(String prefix, String continuationToken) {
        return counted(Operation.LIST, client.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)
                .continuationToken(continuationToken).encodingType(EncodingType.URL)));
    }

    /** The listed version's metadata, with its stored checksum if it has one. */
    CompletableFuture<HeadObjectResponse> head(SourceFile file) {
        return counted(Operation.HEAD, client.headObject(b -> b.bucket(bucket).key(file.location())
                .ifMatch(etag(file)).checksumMode(ChecksumMode.ENABLED)));
    }

    /** Bytes {@code [from, to)} of the listed version, as a stream that sends only as fast as it is asked. */
    CompletableFuture<ResponsePublisher<GetObjectResponse>> get(SourceFile file, long from, long to) {
        return counted(Operation.GET, client.getObject(b -> b.bucket(bucket).key(file.location())
                .ifMatch(etag(file)).range("bytes=" + from + "-" + (to - 1)), AsyncResponseTransformer.toPublisher()));
    }

    private <T> CompletableFuture<T> counted(Operation operation, CompletableFuture<T> request) {
        requests.get(operation).increment();
        return request.whenComplete((response, error) -> {
            if (error != null) {
                failed(error);
            }
        });
    }

    /** Counts a failure: of a request, or of a body stream after its response began. */
    void failed(Throwable error) {
        errors.get(StorageErrors.kind(error)).increment();
    }

    void resumed() {
        resumes.increment();
    }

    void received(long bytes) {
        bytesReceived.add(bytes);
    }

    long requests(Operation operation) {
        return requests.get(operation).sum();
    }

    long errors(Kind kind) {
        return errors.get(kind).sum();
    }

    long resumes() {
        return resumes.sum();
    }

    long bytesReceived() {
        return bytesReceived.sum();
    }

    /** The ETag is the object's version: the listing keeps it as the file key. */
    static String etag(SourceFile file) {
        return (String) file.fileKey();
    }

    void close() {
        client.close();
    }
}
