package dev.downloadservice.source.s3;

import dev.downloadservice.config.Config;
import dev.downloadservice.source.FolderCount;
import dev.downloadservice.source.Folders;
import dev.downloadservice.source.ListedNames;
import dev.downloadservice.source.Listing;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.s3.ObjectStore.Operation;
import dev.downloadservice.source.s3.StorageErrors.Kind;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Folders in an S3 bucket: the folder {@code <hash>} is every object whose key starts
 * with {@code <prefix><hash>/}, and "directories" are the key prefixes between.
 *
 * <p>What makes an archive here is what the listing gives: key, size, last-modified time
 * and ETag. Every replica listing the same objects gets the same entries, so the same
 * archive bytes and the same archive ETag, and a download resumed on another replica
 * continues the same file. Every read carries the listed ETag in {@code If-Match}.
 */
public final class ObjectFolders implements Folders {

    private static final Logger log = LoggerFactory.getLogger(ObjectFolders.class);

    /** Connections to the store at once, for all downloads; more requests wait for one. */
    static final int MAX_CONNECTIONS = 256;
    /** Tries of one request (the SDK's standard retries: throttling, 5xx, network errors), with backoff. */
    static final int MAX_ATTEMPTS = 4;
    /** How much of an object is summed at a time when it has no stored CRC-32. */
    static final int CRC_PIECE = 256 * 1024;
    /** Most bytes every download's read-ahead holds together: four downloads at their full window. */
    static final long MAX_READ_AHEAD = 4 * ReadAhead.Limits.DEFAULT.maxLead();

    private final ObjectStore store;
    private final String prefix;
    private final ListedNames listed;
    private final LongAdder bytesReadForCrc = new LongAdder();
    /** What every download's read-ahead holds together. */
    private final ReadAheadBudget readAhead;

    /**
     * @param prefix    the key prefix of every folder: empty, or ending in '/'
     * @param readAhead the budget of every download's read-ahead
     */
    private ObjectFolders(ObjectStore store, String prefix, ListedNames listed, ReadAheadBudget readAhead) {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("expected an empty prefix or one ending in '/', found " + prefix);
        }
        this.store = store;
        this.prefix = prefix;
        this.listed = listed;
        this.readAhead = readAhead;
    }

    /**
     * Connects to a bucket with the AWS SDK's async client on its own Netty event loops
     * (not the server's: a slow store then never delays another connection's writes),
     * credentials from the SDK's default chain, and the SDK's standard retries, bounded.
     * The connection's timeout is how long the store may send nothing while an answer or a
     * byte is awaited (the try is then given up: retried, or a stream opened again); without
     * an endpoint (AWS) and a region, the SDK's default chain finds the region.
     *
     * @param listed   which names are listed besides those every archive takes as they are
     * @param requests where requests are sent and reads completed
     */
    public static ObjectFolders connect(Config.ObjectStore bucket, ListedNames listed, Executor requests) {
        Config.S3Connection connection = bucket.connection();
        Duration timeout = connection.timeout();
        S3AsyncClientBuilder builder = S3AsyncClient.builder()
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(MAX_CONNECTIONS)
                        .connectionTimeout(timeout)
                        .readTimeout(timeout)
                        .connectionAcquisitionTimeout(Duration.ofSeconds(30)))
                // Refreshed in the background, never on a thread that sends a request.
                .credentialsProvider(DefaultCredentialsProvider.builder().asyncCredentialUpdateEnabled(true).build())
                .forcePathStyle(connection.pathStyle())
                // Checksums only where an operation requires one, not the SDK's default since 2.30 (one on every
                // request that can carry one): stores refuse them, and a ranged GET cannot be checked against a
                // whole-object checksum anyway. Each entry's CRC-32 is the integrity (docs/design-notes.md).
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(MAX_ATTEMPTS).build()));
        connection.endpoint().ifPresent(builder::endpointOverride);
        // S3-compatible stores mostly ignore the region; AWS needs the bucket's (or the SDK's chain finds it).
        connection.region().or(() -> connection.endpoint().map(e -> "us-east-1"))
                .ifPresent(r -> builder.region(Region.of(r)));
        S3AsyncClient client;
        try {
            client = builder.build();
        } catch (SdkClientException e) {
            throw new IllegalArgumentException("expected a region for s3://" + bucket.bucket()
                    + " (--s3-region or AWS_REGION), found none: " + e.getMessage(), e);
        }
        String storeName = connection.endpoint().map(endpoint -> "the store at " + endpoint).orElse("AWS S3");
        return new ObjectFolders(new ObjectStore(client, storeName, bucket.bucket(), timeout, requests),
                bucket.prefix(), listed, new ReadAheadBudget(readAheadBudget(Runtime.getRuntime().maxMemory())));
    }

    /**
     * The bytes all downloads together may hold ahead of their clients: a quarter of the
     * heap, where the held pieces are, and at most {@link #MAX_READ_AHEAD}.
     */
    static long readAheadBudget(long maxHeap) {
        return Math.max(ReadAhead.Limits.DEFAULT.minLead(), Math.min(MAX_READ_AHEAD, maxHeap / 4));
    }

    /**
     * Lists one key of the prefix, to tell at start-up, in the log, whether the bucket can
     * be read with these credentials; the service starts either way (the store may come later).
     */
    public void checkReachable() {
        store.list(prefix, null).whenComplete((page, error) -> {
            if (error == null) {
                log.info("s3://{}/{} can be listed", store.bucket(), prefix);
            } else {
                log.warn("s3://{}/{} cannot be listed, downloads will fail until it can: {}", store.bucket(), prefix,
                        StorageErrors.describe(error));
            }
        });
    }

    @Override
    public CompletableFuture<Optional<Listing>> list(String name) {
        String folderPrefix = prefix + name + "/";
        ListingBuilder collected = new ListingBuilder(name, folderPrefix, listed);
        CompletableFuture<Optional<Listing>> listing = new CompletableFuture<>();
        listFrom(folderPrefix, null, collected, listing).whenComplete((ignored, error) -> {
            if (error != null) {
                listing.completeExceptionally(error);
            } else {
                listing.complete(collected.listing());
            }
        });
        return listing;
    }

    /**
     * One page after another: ListObjectsV2 gives at most 1,000 keys a request. No next page
     * is asked for once {@code listing} is done: cancelled, because nobody waits for it.
     */
    private CompletableFuture<Void> listFrom(String folderPrefix, String token, ListingBuilder collected,
                                             CompletableFuture<?> listing) {
        return store.list(folderPrefix, token).thenCompose(page -> {
            for (S3Object object : page.contents()) {
                collected.add(object);
            }
            if (Boolean.TRUE.equals(page.isTruncated()) && page.nextContinuationToken() != null && !listing.isDone()) {
                return listFrom(folderPrefix, page.nextContinuationToken(), collected, listing);
            }
            return CompletableFuture.completedFuture(null);
        }).exceptionally(error -> {
            throw new CompletionException(StorageErrors.forListing(error, store.bucket(), folderPrefix));
        });
    }

    /**
     * Not counted: a bucket has no folders, only key prefixes, and finding those under the prefix takes a listing
     * by delimiter of its own, page after page, against a store that may not even be reachable at start-up.
     */
    @Override
    public CompletableFuture<Optional<FolderCount>> countFolders(Predicate<String> servable, int atMost) {
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * The CRC-32 the store keeps for the object, when it keeps one for the whole object
     * (S3's {@code x-amz-checksum-crc32}, the same CRC as ZIP's): a HEAD instead of
     * reading it. Otherwise the object is read once, as a stream.
     */
    @Override
    public CompletableFuture<Integer> computeCrc32(SourceFile file) {
        return store.storedCrc32(file).thenCompose(stored -> stored.isPresent()
                ? CompletableFuture.completedFuture(stored.getAsInt())
                : readCrc32(file));
    }

    private CompletableFuture<Integer> readCrc32(SourceFile file) {
        if (file.size() == 0) {
            return CompletableFuture.completedFuture(0);
        }
        ObjectStream stream = new ObjectStream(store, file, 0, file.size());
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CRC_PIECE, file.size()));
        return sum(stream, buffer, new CRC32(), 0, file.size()).whenComplete((crc, error) -> stream.close());
    }

    /** Sums the object from {@code position} on, one piece after another through one buffer. */
    private CompletableFuture<Integer> sum(ObjectStream stream, ByteBuffer buffer, CRC32 crc, long position, long size) {
        int n = (int) Math.min(buffer.capacity(), size - position);
        buffer.clear().limit(n);
        return stream.fill(buffer).thenComposeAsync(ignored -> {
            buffer.flip();
            crc.update(buffer);
            bytesReadForCrc.add(n);
            long next = position + n;
            return next == size
                    ? CompletableFuture.completedFuture((int) crc.getValue())
                    : sum(stream, buffer, crc, next, size);
        }, store.requests()); // summing is CPU work: off the SDK's event loop
    }

    @Override
    public long bytesReadForCrc() {
        return bytesReadForCrc.sum();
    }

    @Override
    public Reads reads() {
        return new ObjectReads(store, readAhead);
    }

    /**
     * What the metrics show of the store: requests by operation, failures by kind, resumed
     * streams, bytes received, the object streams under way, each holding a connection, and
     * the read-ahead: bytes held, its GETs under way, parts a download waited on. The source is each meter's state object, which a meter holds weakly (the functions capture no
     * {@code this}): only the service holds the source.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        for (Operation operation : Operation.values()) {
            FunctionCounter.builder("storage.requests", this, s -> s.store.requests(operation))
                    .tag("operation", operation.name().toLowerCase(Locale.ROOT))
                    .description("Requests made of the object store").register(registry);
        }
        for (Kind kind : Kind.values()) {
            FunctionCounter.builder("storage.errors", this, s -> s.store.errors(kind)).tag("kind", kind.tag())
                    .description("Object store requests that failed after their retries, and streams that broke")
                    .register(registry);
        }
        FunctionCounter.builder("storage.resumes", this, s -> s.store.resumes())
                .description("Object streams opened again from where they broke").register(registry);
        FunctionCounter.builder("storage.parks", this, s -> s.store.parks())
                .description("Object streams let go while a slow client took what they held, opened again as it"
                        + " reads on").register(registry);
        FunctionCounter.builder("storage.received.bytes", this, s -> s.store.bytesReceived())
                .description("Bytes received from the object store").register(registry);
        Gauge.builder("storage.streams.open", this, s -> s.store.openStreams())
                .description("Object streams under way, each holding a connection to the store").register(registry);
        Gauge.builder("storage.readahead.held", this, s -> s.readAhead.heldBytes()).baseUnit("bytes")
                .description("Bytes read from the store ahead of the clients and not yet taken by them")
                .register(registry);
        Gauge.builder("storage.readahead.gets", this, s -> s.readAhead.getsInFlight())
                .description("GETs of read-ahead parts under way").register(registry);
        FunctionCounter.builder("storage.readahead.waits", this, s -> s.readAhead.partsWaitedOn())
                .description("Read-ahead parts a download had to wait on: its client was faster than the store")
                .register(registry);
    }

    @Override
    public void close() {
        store.close();
    }
}
