package dev.downloadservice.source.s3;

import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.s3.StorageErrors.Kind;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.ResponsePublisher;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/**
 * The requests this service makes of a bucket, each counted for the metrics. Reads of
 * a listed object always carry {@code If-Match} with the listed ETag, so a replaced
 * object fails the request (412) instead of sending other bytes.
 *
 * <p>A request carries no optional header it does not need: S3-compatible stores refuse
 * headers they do not know. The one optional header sent, checksum mode on a HEAD, is
 * dropped for good once the store refuses it.
 */
final class ObjectStore {

    private static final Logger log = LoggerFactory.getLogger(ObjectStore.class);

    /** The operations counted. */
    enum Operation { LIST, HEAD, GET }

    private final S3AsyncClient client;
    /** The store, as an operator names it in a log line: its endpoint. */
    private final String storeName;
    private final String bucket;
    /** Set once the store answered a HEAD with checksum mode by refusing the header. */
    private final AtomicBoolean checksumModeRefused = new AtomicBoolean();
    private final Map<Operation, LongAdder> requestCounts = new EnumMap<>(Operation.class);
    private final Map<Kind, LongAdder> errors = new EnumMap<>(Kind.class);
    private final LongAdder resumes = new LongAdder();
    private final LongAdder parks = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    /** Streams under way, looked at by the watchdog: a hung connection sends no error of its own. */
    private final Set<ObjectStream> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService watchdog;
    private final long timeoutNanos;

    private final Executor requests;

    /**
     * @param storeName the store's endpoint, for the log
     * @param timeout   how long a stream may get no byte while one is asked for
     * @param requests  where requests are sent (signing is CPU work) and reads completed,
     *                  off the server's and the SDK's event loops
     */
    ObjectStore(S3AsyncClient client, String storeName, String bucket, Duration timeout, Executor requests) {
        this.client = client;
        this.storeName = storeName;
        this.bucket = bucket;
        // Once the pool is shut down (the service stopping), work runs where it is handed over: a future
        // whose continuation was refused would never complete, and its buffer never be freed.
        this.requests = task -> {
            try {
                requests.execute(task);
            } catch (RejectedExecutionException stopping) {
                task.run();
            }
        };
        this.timeoutNanos = timeout.toNanos();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("s3-watchdog", /* daemon= */ true));
        long period = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
        watchdog.scheduleWithFixedDelay(this::checkStreams, period, period, TimeUnit.MILLISECONDS);
        for (Operation operation : Operation.values()) {
            requestCounts.put(operation, new LongAdder());
        }
        for (Kind kind : Kind.values()) {
            errors.put(kind, new LongAdder());
        }
    }

    String bucket() {
        return bucket;
    }

    Executor requests() {
        return requests;
    }

    /** The same outcome, with whatever follows it run on the request pool, not on the SDK's event loop. */
    <T> CompletableFuture<T> onRequestPool(CompletableFuture<T> future) {
        return future.whenCompleteAsync((result, error) -> { }, requests);
    }

    /**
     * One page of keys. URL-encoded in the response (the SDK decodes them): a key with a
     * control character cannot be written in XML 1.0 and would fail the whole listing.
     */
    CompletableFuture<ListObjectsV2Response> list(String prefix, String continuationToken) {
        return counted(Operation.LIST, client.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)
                .continuationToken(continuationToken).encodingType(EncodingType.URL)));
    }

    /**
     * The listed version's metadata, with its stored checksum where the store tells it: the
     * checksum comes only with checksum mode. A store that refuses that header (S3Proxy 2,
     * stores that predate S3's checksums) is asked the same again without it, and from then
     * on never with it.
     */
    CompletableFuture<HeadObjectResponse> head(SourceFile file) {
        if (checksumModeRefused.get()) {
            return counted(Operation.HEAD, headObject(file, null));
        }
        requestCounts.get(Operation.HEAD).increment();
        return headObject(file, ChecksumMode.ENABLED).exceptionallyComposeAsync(error -> {
            if (!StorageErrors.isRefusedHeader(error)) {
                failed(error);
                return CompletableFuture.failedFuture(error);
            }
            return counted(Operation.HEAD, headObject(file, null)).thenApply(head -> {
                refusedChecksumMode(error);
                return head;
            });
        }, requests);
    }

    /**
     * The whole-object CRC-32 the store keeps for the listed version, by a HEAD: empty if it
     * keeps none. Fails as the HEAD fails, with the object's error (a 412 if it changed).
     */
    CompletableFuture<OptionalInt> storedCrc32(SourceFile file) {
        CompletableFuture<HeadObjectResponse> head;
        try {
            // Signed and sent on the request executor, as GETs are: the caller may be an event loop.
            head = CompletableFuture.supplyAsync(() -> head(file), requests).thenCompose(sent -> sent);
        } catch (RejectedExecutionException stopping) {
            head = CompletableFuture.failedFuture(stopping);
        }
        return head.handle((response, error) -> {
            if (error != null) {
                throw new CompletionException(StorageErrors.forObject(error, file.name(), file.location()));
            }
            return storedCrc32(response, file.size());
        });
    }

    /** The whole-object CRC-32 in a HEAD response, if the store has one for this very size. */
    static OptionalInt storedCrc32(HeadObjectResponse head, long size) {
        String value = head.checksumCRC32();
        boolean wholeObject = head.checksumType() == null || head.checksumType() == ChecksumType.FULL_OBJECT;
        if (value == null || !wholeObject || value.contains("-") || head.contentLength() == null
                || head.contentLength() != size) {
            return OptionalInt.empty(); // a multipart upload's checksum of checksums ("...-3") is not the file's CRC
        }
        byte[] bytes = Base64.getDecoder().decode(value);
        if (bytes.length != 4) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(ByteBuffer.wrap(bytes).getInt());
    }

    /** Whether a HEAD may tell a stored CRC-32: not once the store refused checksum mode. */
    boolean mayTellChecksums() {
        return !checksumModeRefused.get();
    }

    /** @param checksumMode null for none: the SDK then leaves the header out */
    private CompletableFuture<HeadObjectResponse> headObject(SourceFile file, ChecksumMode checksumMode) {
        return client.headObject(b -> b.bucket(bucket).key(file.location()).ifMatch(etag(file))
                .checksumMode(checksumMode));
    }

    /** Only the same HEAD without the header succeeding shows that the header was what the store refused. */
    private void refusedChecksumMode(Throwable refusal) {
        if (checksumModeRefused.compareAndSet(false, true)) {
            log.warn("{} refuses x-amz-checksum-mode ({}), so HEADs go without it from now on: stored CRC-32s are "
                    + "not used, and objects not held whole for their CRC-32 (over 16 MiB, or past the read-ahead budget) are read once more for it",
                    storeName, StorageErrors.describe(refusal));
        }
    }

    /** Bytes {@code [from, to)} of the listed version, as a stream that sends only as fast as it is asked. */
    CompletableFuture<ResponsePublisher<GetObjectResponse>> get(SourceFile file, long from, long to) {
        return counted(Operation.GET, client.getObject(b -> b.bucket(bucket).key(file.location())
                .ifMatch(etag(file)).range("bytes=" + from + "-" + (to - 1)), AsyncResponseTransformer.toPublisher()));
    }

    private <T> CompletableFuture<T> counted(Operation operation, CompletableFuture<T> request) {
        requestCounts.get(operation).increment();
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

    /** Streams under way: each holds, or is opening, a connection to the store. */
    int openStreams() {
        return streams.size();
    }

    void watch(ObjectStream stream) {
        streams.add(stream);
    }

    void unwatch(ObjectStream stream) {
        streams.remove(stream);
    }

    private void checkStreams() {
        long now = System.nanoTime();
        for (ObjectStream stream : streams) {
            try {
                stream.checkStalled(now, timeoutNanos);
            } catch (RuntimeException e) {
                log.warn("checking a stream from the store failed", e); // the watchdog must go on
            }
        }
    }

    void resumed() {
        resumes.increment();
    }

    /** A GET let go while its slow client takes what it holds ({@link ObjectStream}). */
    void parked() {
        parks.increment();
    }

    long parks() {
        return parks.sum();
    }

    void received(long bytes) {
        bytesReceived.add(bytes);
    }

    long requests(Operation operation) {
        return requestCounts.get(operation).sum();
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
        return (String) file.version().key();
    }

    void close() {
        watchdog.shutdownNow();
        client.close();
    }
}
