package dev.downloadservice.source;

import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Where the folders and their files are: a directory tree on the local file system
 * (the {@code local} package) or an object store (the {@code s3} package). Both give the same
 * listing for the same files, so the archive is the same whichever serves it.
 * No method blocks its caller: work that waits on a disk or a network runs elsewhere.
 * Each source brings its own meters ({@link MeterBinder#bindTo}), if it has any.
 */
public interface Folders extends AutoCloseable, MeterBinder {

    /**
     * Lists one folder, or completes empty if there is no such folder. Cancelling the future
     * abandons the listing: the source stops as soon as it can (between directories, between
     * pages), so that a listing nobody waits for any more costs little.
     *
     * @param name one path segment, already checked to be safe (no separator, not . or ..)
     */
    CompletableFuture<Optional<Listing>> list(String name);

    /**
     * Reads the whole of a listed file for its CRC-32, failing with {@link FileChangedException}
     * if it is not the listed version. Called by {@link ChecksumCache} on a miss; an object
     * store that already keeps the checksum gives it without reading.
     */
    CompletableFuture<Integer> computeCrc32(SourceFile file);

    /**
     * Counts the folders directly under the root by whether {@code servable} accepts their names, looking at
     * no more than {@code atMost} entries; completes empty where the source cannot count them cheaply (an
     * object store, whose "folders" are only key prefixes). For the start-up log: no name leaves the source.
     */
    CompletableFuture<Optional<FolderCount>> countFolders(Predicate<String> servable, int atMost);

    /** Bytes read by {@link #computeCrc32}, for the metrics. */
    long bytesReadForCrc();

    /** The reads of one download; close it when the download ends. */
    Reads reads();

    @Override
    void close() throws IOException;
}
