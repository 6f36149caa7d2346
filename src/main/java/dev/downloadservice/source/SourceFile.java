package dev.downloadservice.source;

import java.nio.file.Path;

/**
 * A file or directory found by a listing, with the attributes it had then.
 *
 * @param name        relative path inside the folder, {@code /}-separated; directories end in {@code /}
 * @param path        where it is on disk (for a followed link, the link itself)
 * @param mtimeMillis modification time in milliseconds since the epoch
 * @param permissions Unix permission bits
 * @param fileKey     the file system's identity of the file (device and inode), may be null
 */
public record SourceFile(String name, Path path, long size, long mtimeMillis, int permissions, Object fileKey) {

    public boolean isDirectory() {
        return name.endsWith("/");
    }

    /** What the CRC-32 cache keys on: the same path, size, time and inode means the same content. */
    public FileIdentity identity() {
        return new FileIdentity(path, size, mtimeMillis, fileKey);
    }
}
