package dev.downloadservice.source;

import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;

/**
 * A piece of an open file for the kernel to send ({@link ZeroCopy}). Nothing in the process
 * sees those bytes, so a file written while it was sent is found only by checking it again
 * once sent: {@link #checkUnchanged()}. Whoever sends the piece closes the channel.
 */
public interface FilePart {

    FileChannel channel();

    long position();

    long length();

    /**
     * Checks, on the source's threads, that the file is still the listed version; fails
     * with {@link FileChangedException} (possibly wrapped) if not.
     */
    CompletableFuture<Void> checkUnchanged();
}
