package dev.downloadservice.zip;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One entry of an archive, as the listing describes it: everything the layout
 * needs, nothing about where the bytes come from.
 *
 * @param name        relative path with {@code /} separators; a directory ends in {@code /}
 * @param size        content length in bytes; 0 for a directory
 * @param mtimeMillis modification time, milliseconds since the epoch (UTC)
 * @param permissions Unix permission bits (the low 12 bits of {@code st_mode})
 */
public record ArchiveEntry(String name, long size, long mtimeMillis, int permissions) {

    /** APPNOTE 4.4.10: the file name length field is two bytes. */
    static final int MAX_NAME_BYTES = 0xFFFF;

    public ArchiveEntry {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\")) {
            throw new IllegalArgumentException(
                    "expected a relative name with '/' separators, found \"" + name + "\"");
        }
        if (hasDotSegment(name)) {
            throw new IllegalArgumentException("expected no '.' or '..' segment, found \"" + name + "\"");
        }
        if (size < 0) {
            throw new IllegalArgumentException("expected a size >= 0 for \"" + name + "\", found " + size);
        }
        if (name.endsWith("/") && size != 0) {
            throw new IllegalArgumentException("expected size 0 for directory \"" + name + "\", found " + size);
        }
        if ((permissions & ~07777) != 0) {
            throw new IllegalArgumentException(
                    "expected permission bits within 07777 for \"" + name + "\", found 0" + Integer.toOctalString(permissions));
        }
        // A UTF-8 byte count is at most three per char: only a long name needs counting.
        if (name.length() * 3L > MAX_NAME_BYTES && name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("expected a name of at most 65535 UTF-8 bytes, found \"" + name + "\"");
        }
    }

    /** Whether a segment between slashes is "." or "..": a scan, since this runs for every entry of every listing. */
    private static boolean hasDotSegment(String name) {
        int segmentStart = 0;
        for (int i = 0; i <= name.length(); i++) {
            if (i == name.length() || name.charAt(i) == '/') {
                int length = i - segmentStart;
                if ((length == 1 || length == 2) && name.startsWith(length == 1 ? "." : "..", segmentStart)) {
                    return true;
                }
                segmentStart = i + 1;
            }
        }
        return false;
    }

    public static ArchiveEntry file(String name, long size, long mtimeMillis, int permissions) {
        return new ArchiveEntry(name, size, mtimeMillis, permissions);
    }

    public static ArchiveEntry directory(String name, long mtimeMillis, int permissions) {
        return new ArchiveEntry(name.endsWith("/") ? name : name + "/", 0, mtimeMillis, permissions);
    }

    public boolean isDirectory() {
        return name.endsWith("/");
    }
}
