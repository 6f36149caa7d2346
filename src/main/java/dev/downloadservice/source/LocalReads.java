package dev.downloadservice.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Reads of local files: each call is one task on the I/O executor that opens, reads and
 * checks its files in turn with one {@link FileOpener}, so many small files of a folder
 * cost a task, not a task each.
 */
final class LocalReads implements Reads {

    private final LocalFolders folders;
    private final Executor io;

    LocalReads(LocalFolders folders, Executor io) {
        this.folders = folders;
        this.io = io;
    }

    @Override
    public CompletableFuture<Void> read(List<Read> reads) {
        return CompletableFuture.runAsync(() -> {
            try (FileOpener opener = folders.opener()) {
                for (Read read : reads) {
                    read(opener, read);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
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
    public void close() {
        // Nothing stays open between reads.
    }
}
