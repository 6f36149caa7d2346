package dev.downloadservice.source.local;

import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.FilePart;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.ZeroCopy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads of local files, each call one task on the I/O executor: a batch opens, reads and checks
 * its files in turn with one {@link FileOpener}, so many small files of a folder cost a task,
 * not a task each; the chunks of a large body read through memory share one open file
 * ({@link OpenBody}). Large files go out unseen, by sendfile ({@link ZeroCopy}), where they may.
 */
final class LocalReads implements Reads, ZeroCopy {

    private final LocalFolders folders;
    private final Executor io;
    /** The large body read in order now, if any. */
    private OpenBody body;
    private boolean closed;

    LocalReads(LocalFolders folders, Executor io) {
        this.folders = folders;
        this.io = io;
    }

    @Override
    public CompletableFuture<Void> read(List<Read> reads) {
        return onPool(() -> {
            try (FileOpener opener = folders.opener()) {
                for (Read read : reads) {
                    read(opener, read);
                }
            }
            return null;
        });
    }

    /**
     * A large body's chunks share one open file ({@link OpenBody}): a 1 MiB photo read in
     * 256 KiB chunks costs one open, not four.
     */
    @Override
    public CompletableFuture<Void> readInOrder(SourceFile file, long position, long end, ByteBuffer target) {
        long next = position + target.remaining();
        boolean last = next == end;
        OpenBody reading;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IOException("the download was closed"));
            }
            if (body == null || !body.continues(file, position)) {
                if (body != null) {
                    body.release();
                }
                body = new OpenBody(file);
            }
            reading = body;
            reading.take(next);
            if (last) {
                body = null;
                reading.release();
            }
        }
        try {
            return onPool(() -> readChunk(reading, position, target, last));
        } catch (RejectedExecutionException stopping) { // the pool stops: this read never runs
            reading.release();
            throw stopping;
        }
    }

    private Void readChunk(OpenBody body, long position, ByteBuffer target, boolean last) throws IOException {
        SourceFile file = body.file;
        try (FileOpener opener = folders.opener()) {
            FileChannel channel = body.channel(opener);
            readFully(file, channel, position, target);
            opener.checkStillUnchanged(file, channel);
            if (last) {
                // The open file is the listed version; its name must still lead to it, as for a part sent by sendfile.
                checkUnchanged(opener, file);
            }
        } finally {
            body.release();
        }
        return null;
    }

    /**
     * The open file of the body read in order, shared by the reads of its chunks (up to three
     * run at once) and by this {@link LocalReads} until the body's last chunk is asked for:
     * closed when the last of them lets go, so a read never finds it closed under it. Where the
     * body goes on ({@link #continues}, {@link #take}) is the event loop's, under the
     * {@link LocalReads}' lock; the file is opened by the first read on the pool, under a lock
     * of its own that the event loop never waits for (it takes it only once no read is left).
     */
    private static final class OpenBody {
        private final SourceFile file;
        /** Where the body's next chunk starts. */
        private long next;
        /** The reads under way, plus one for the {@link LocalReads} while this is its body. */
        private final AtomicInteger shares = new AtomicInteger(1);
        private final Object opening = new Object();
        /** Opened by the first read that runs; guarded by {@link #opening}. */
        private FileChannel channel;

        OpenBody(SourceFile file) {
            this.file = file;
        }

        boolean continues(SourceFile file, long position) {
            return this.file.equals(file) && position == next;
        }

        void take(long next) {
            shares.incrementAndGet();
            this.next = next;
        }

        FileChannel channel(FileOpener opener) throws IOException {
            synchronized (opening) {
                if (channel == null) {
                    channel = opener.openToRead(file);
                }
                return channel;
            }
        }

        void release() {
            if (shares.decrementAndGet() > 0) {
                return;
            }
            synchronized (opening) {
                if (channel != null) {
                    try {
                        channel.close();
                    } catch (IOException e) {
                        // A read-only descriptor: nothing was lost.
                    }
                }
            }
        }
    }

    private static void read(FileOpener opener, Read read) throws IOException {
        SourceFile file = read.file();
        try (FileChannel channel = opener.openToRead(file)) {
            readFully(file, channel, read.position(), read.target());
            // What was read must be the listed file, unchanged: a small file's CRC comes from these very bytes.
            opener.checkStillUnchanged(file, channel);
        }
    }

    private static void readFully(SourceFile file, FileChannel channel, long position, ByteBuffer target)
            throws IOException {
        while (target.hasRemaining()) {
            int n = channel.read(target, position);
            if (n < 0) {
                throw new FileChangedException(EntryNames.printable(file.name()) + " changed: expected " + file.size()
                        + " bytes, it ended at " + position);
            }
            position += n;
        }
    }

    @Override
    public Optional<ZeroCopy> zeroCopy() {
        return Optional.of(this);
    }

    @Override
    public CompletableFuture<FilePart> open(SourceFile file, long position, long length) {
        return onPool(() -> {
            try (FileOpener opener = folders.opener()) {
                return new LocalFilePart(file, opener.openUnchanged(file), position, length, this);
            }
        });
    }

    /** An open local file to be sent by sendfile; checked again, by a fresh open, once sent. */
    private record LocalFilePart(SourceFile file, FileChannel channel, long position, long length, LocalReads reads)
            implements FilePart {
        @Override
        public CompletableFuture<Void> checkUnchanged() {
            return reads.checkUnchanged(List.of(this));
        }
    }

    /** One opener for all: the directories on the way are opened once. */
    @Override
    public CompletableFuture<Void> checkUnchanged(List<FilePart> parts) {
        return onPool(() -> {
            try (FileOpener opener = folders.opener()) {
                for (FilePart part : parts) {
                    checkUnchanged(opener, ((LocalFilePart) part).file()); // parts this source opened
                }
            }
            return null;
        });
    }

    private static void checkUnchanged(FileOpener opener, SourceFile file) throws IOException {
        try (FileChannel again = opener.openToRead(file)) {
            opener.checkStillUnchanged(file, again);
        }
    }

    private <T> CompletableFuture<T> onPool(LocalFolders.FileWork<T> work) {
        return LocalFolders.onPool(work, io);
    }

    /** Lets go of the body read in order; its file closes once the reads under way end. */
    @Override
    public void close() {
        OpenBody last;
        synchronized (this) {
            closed = true;
            last = body;
            body = null;
        }
        if (last != null) {
            last.release();
        }
    }
}
