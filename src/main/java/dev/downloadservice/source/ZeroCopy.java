package dev.downloadservice.source;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Sending a file's bytes without reading them into memory: the kernel copies them from the
 * page cache to the socket ({@code sendfile}). Only a source of local files can; its
 * {@link Reads#zeroCopy()} offers it, and where it is absent every byte passes through a buffer.
 */
public interface ZeroCopy {

    /**
     * Opens a listed file for {@code length} bytes from {@code position} to be sent unseen,
     * on the source's threads, failing with {@link FileChangedException} (possibly wrapped)
     * if it is no longer the listed version.
     */
    CompletableFuture<FilePart> open(SourceFile file, long position, long length);

    /**
     * Checks, in one task on the source's threads, that the files of parts this source opened
     * are still the listed versions; fails with {@link FileChangedException} (possibly wrapped)
     * for the first that is not.
     */
    CompletableFuture<Void> checkUnchanged(List<FilePart> parts);
}
