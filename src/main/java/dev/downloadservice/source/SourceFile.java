package dev.downloadservice.source;

/**
 * A file or directory found by a listing, with the attributes it had then.
 *
 * @param name        relative path inside the folder, {@code /}-separated; directories end in {@code /}
 * @param location    its real path relative to the root (for a followed link, the target's), with no links in it
 * @param permissions Unix permission bits
 * @param version     what a changed file would differ in besides its size: inode or ETag, mtime, ctime
 */
public record SourceFile(String name, String location, long size, int permissions, FileVersion version) {

    public boolean isDirectory() {
        return name.endsWith("/");
    }

    /** Modification time in milliseconds since the epoch. */
    public long mtimeMillis() {
        return version.mtimeMillis();
    }

    /** The file system's identity of the file (device and inode), or an object's ETag; may be null. */
    public Object fileKey() {
        return version.key();
    }

    /** What the CRC-32 cache keys on: the same path, size and version means the same content. */
    public FileIdentity identity() {
        return new FileIdentity(location, size, version);
    }
}
