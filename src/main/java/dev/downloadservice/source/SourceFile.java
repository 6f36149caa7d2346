package dev.downloadservice.source;

/**
 * A file or directory found by a listing, with the attributes it had then.
 *
 * @param name        relative path inside the folder, {@code /}-separated; directories end in {@code /}
 * @param location    its real path relative to the root (for a followed link, the target's), with no links in it
 * @param mtimeMillis modification time in milliseconds since the epoch
 * @param permissions Unix permission bits
 * @param fileKey     the file system's identity of the file (device and inode), may be null
 */
public record SourceFile(String name, String location, long size, long mtimeMillis, int permissions, Object fileKey) {

    public boolean isDirectory() {
        return name.endsWith("/");
    }

    /** What the CRC-32 cache keys on: the same path, size, time and inode means the same content. */
    public FileIdentity identity() {
        return new FileIdentity(location, size, mtimeMillis, fileKey);
    }
}
