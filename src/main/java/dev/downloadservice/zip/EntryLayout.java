package dev.downloadservice.zip;

import java.nio.charset.StandardCharsets;

/**
 * Where one entry sits in the archive and which optional fields its headers carry.
 * Everything here follows from the entry and its offset; nothing needs file content.
 */
record EntryLayout(
        ArchiveEntry entry,
        byte[] name,
        boolean needsUtf8Flag,
        long localHeaderOffset,
        int dosDateTime) {

    /** APPNOTE 4.3.7: fixed part of the local file header. */
    static final int LOCAL_FIXED = 30;
    /** APPNOTE 4.3.12: fixed part of the central directory header. */
    static final int CENTRAL_FIXED = 46;
    /** APPNOTE 4.5.3 in a local header: id, length, original and compressed size. */
    static final int LOCAL_ZIP64_EXTRA = 4 + 8 + 8;
    /** Info-ZIP extended timestamp (0x5455) with the modification time only: id, length, flags, mtime. */
    static final int EXTENDED_TIME_EXTRA = 4 + 1 + 4;
    /**
     * A 16- or 32-bit field holding all ones means "the value is in the ZIP64 extra field"
     * (APPNOTE 4.4.8, 4.4.16), so the all-ones value itself already needs ZIP64.
     */
    static final long ZIP64_MAGIC = 0xFFFF_FFFFL;

    static EntryLayout at(ArchiveEntry entry, long localHeaderOffset) {
        byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
        return new EntryLayout(entry, name, !isAscii(name), localHeaderOffset, DosTime.of(entry.mtimeMillis()));
    }

    /**
     * Read from the encoded name that the header writes anyway: the entry's name string
     * lies elsewhere in memory, and touching it once per header cost more than the header.
     */
    boolean isDirectory() {
        return name[name.length - 1] == '/';
    }

    /** An entry of 4 GiB - 1 or more carries its sizes in a ZIP64 extra field. */
    boolean needsZip64Sizes() {
        return entry.size() >= ZIP64_MAGIC;
    }

    /** A local header that starts at 4 GiB - 1 or later is found through a ZIP64 extra field. */
    boolean needsZip64Offset() {
        return localHeaderOffset >= ZIP64_MAGIC;
    }

    boolean needsZip64() {
        return needsZip64Sizes() || needsZip64Offset();
    }

    /**
     * General purpose bit 11 (APPNOTE 4.4.4, appendix D) says the name is UTF-8, not
     * CP437; a plain ASCII name reads the same either way and goes without it.
     */
    private static boolean isAscii(byte[] name) {
        for (byte b : name) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The extended timestamp holds a 32-bit time that readers disagree on the sign of,
     * so it is written only where both readings agree: 1970 to 2038.
     */
    boolean hasExtendedTime() {
        long seconds = Math.floorDiv(entry.mtimeMillis(), 1000);
        return seconds >= 0 && seconds <= Integer.MAX_VALUE;
    }

    int localHeaderLength() {
        return LOCAL_FIXED + name.length
                + (needsZip64Sizes() ? LOCAL_ZIP64_EXTRA : 0)
                + (hasExtendedTime() ? EXTENDED_TIME_EXTRA : 0);
    }

    /** APPNOTE 4.5.3 in the central header: only the fields whose 32-bit slot overflowed. */
    int centralZip64ExtraLength() {
        int fields = (needsZip64Sizes() ? 2 : 0) + (needsZip64Offset() ? 1 : 0);
        return fields == 0 ? 0 : 4 + 8 * fields;
    }

    int centralHeaderLength() {
        return CENTRAL_FIXED + name.length + centralZip64ExtraLength()
                + (hasExtendedTime() ? EXTENDED_TIME_EXTRA : 0);
    }

    long bodyOffset() {
        return localHeaderOffset + localHeaderLength();
    }

    long endOffset() {
        return bodyOffset() + entry.size();
    }
}
