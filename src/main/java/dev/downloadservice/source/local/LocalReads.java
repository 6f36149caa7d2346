package dev.downloadservice.source.local;

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

/**
 * Reads of local files: each call is one task on the I/O executor that opens, reads and
 * checks its files in turn with one {@link FileOpener}, so many small files of a folder
 * cost a task, not a task each. Large files go out unseen, by sendfile ({@link ZeroCopy}).
 */
final class LocalReads implements Reads, ZeroCopy {

    private final LocalFolders folders;
    private final Executor io;

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

    @Override
    public CompletableFuture<Void> readInOrder(SourceFile file, long position, long end, ByteBuffer target) {
        return read(List.of(new Read(file, position, target)));
    }

    private static void read(FileOpener opener, Read read) throws IOException {
        SourceFile file = read.file();
        ByteBuffer target = read.target();
        try (FileChannel channel = opener.openToRead(file)) {
            long position = read.position();
            while (target.hasRemaining()) {
                int n = channel.read(target, position);
                if (n < 0) {
                    throw new FileChangedException(file.name() + " changed: expected " + file.size()
                            + " bytes, it ended at " + position);
                }
                position += n;
            }
            // What was read must be the listed file, unchanged: a small file's CRC comes from these very bytes.
            opener.checkStillUnchanged(file, channel);
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

    @Override
    public void close() {
        // Nothing stays open between reads.
    }
}
