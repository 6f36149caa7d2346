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
        for (String segment : name.split("/")) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new IllegalArgumentException("expected no '.' or '..' segment, found \"" + name + "\"");
            }
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
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("expected a name of at most 65535 UTF-8 bytes, found \"" + name + "\"");
        }
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
