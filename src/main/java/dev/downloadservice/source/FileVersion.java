package dev.downloadservice.source;

import java.util.concurrent.TimeUnit;

/**
 * What tells one version of a file from the next, besides its size: a change of any part is
 * a new version, so a new archive ETag, a new CRC-32 cache key, and a download under way aborts.
 *
 * @param key        the file system's identity of the file (device and inode), or an object's
 *                   ETag; may be null (a directory of an object store)
 * @param mtimeNanos modification time, in nanoseconds since the epoch
 * @param ctimeNanos status change time, in nanoseconds since the epoch: every write moves it, also
 *                   one whose writer puts the old mtime back ({@code touch -r}, {@code rsync
 *                   --inplace} with times kept); {@link #NO_CTIME} where there is none
 */
public record FileVersion(Object key, long mtimeNanos, long ctimeNanos) {

    /** An object store has no status change time: its ETag (the key) changes with every upload. */
    public static final long NO_CTIME = 0;

    /** A version known to the millisecond only (an object's Last-Modified), without a change time. */
    public static FileVersion ofMillis(Object key, long mtimeMillis) {
        return new FileVersion(key, TimeUnit.MILLISECONDS.toNanos(mtimeMillis), NO_CTIME);
    }

    /** The modification time in milliseconds, as archives and Last-Modified show it. */
    public long mtimeMillis() {
        return Math.floorDiv(mtimeNanos, 1_000_000L);
    }
}
