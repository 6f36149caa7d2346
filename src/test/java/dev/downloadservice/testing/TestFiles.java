package dev.downloadservice.testing;

import dev.downloadservice.source.ListedNames;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;

/**
 * Files for tests to archive: random content from a seed, so that a failure comes back
 * with the same bytes, and sparse files, big enough to fill socket buffers or cross 4 GiB
 * without costing disk.
 */
public final class TestFiles {

    /** What the service lists unless told otherwise: no hidden names; names that portable names rename. */
    public static final ListedNames LISTED_BY_DEFAULT = new ListedNames(/* hidden= */ false,
            /* backslashOrControl= */ true);

    private TestFiles() {
    }

    /** {@code size} bytes from {@code new Random(seed)}: random enough not to compress, the same every run. */
    public static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Writes {@link #randomBytes} to {@code file}, replacing what it held; creates the folders it is in. */
    public static Path random(Path file, int size, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, randomBytes(size, seed));
    }

    /**
     * Makes {@code file} exactly {@code size} bytes long, creating it and its folders if need
     * be: what was never written reads as zeros and takes no disk, and a longer file is cut.
     */
    public static Path sparse(Path file, long size) throws IOException {
        Files.createDirectories(file.getParent());
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    /**
     * Overwrites bytes of {@code file} in place from {@code offset}, then puts its old
     * modification time back, to the nanosecond: what {@code exiftool
     * -overwrite_original_in_place} with times kept, {@code rsync --inplace} or {@code touch -r}
     * leave. Size, inode and mtime are as before; only the ctime moved.
     */
    public static void rewriteKeepingMtime(Path file, long offset, byte[] bytes) throws IOException {
        FileTime mtime = Files.getLastModifiedTime(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(bytes);
        }
        Files.setLastModifiedTime(file, mtime);
    }
}
