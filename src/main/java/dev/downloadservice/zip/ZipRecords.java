package dev.downloadservice.zip;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encoders for the records of APPNOTE 6.3.10 section 4.3, each written exactly as
 * {@link EntryLayout} sized it. All multi-byte values are little-endian.
 */
final class ZipRecords {

    static final int LOCAL_HEADER_SIGNATURE = 0x04034b50;
    static final int CENTRAL_HEADER_SIGNATURE = 0x02014b50;
    static final int ZIP64_END_SIGNATURE = 0x06064b50;
    static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    static final int END_SIGNATURE = 0x06054b50;

    static final short ZIP64_EXTRA_ID = 0x0001;
    static final short EXTENDED_TIME_EXTRA_ID = 0x5455;

    /** APPNOTE 4.4.2: upper byte 3 = Unix (so external attributes carry st_mode), lower = spec 6.3. */
    static final short VERSION_MADE_BY = (3 << 8) | 63;
    /** APPNOTE 4.4.3.2: 1.0 for a stored file, 2.0 for a folder, 4.5 for ZIP64. */
    static final short VERSION_STORED = 10;
    static final short VERSION_DIRECTORY = 20;
    static final short VERSION_ZIP64 = 45;

    static final short FLAG_UTF8 = 1 << 11;
    static final short METHOD_STORED = 0;

    static final int S_IFREG = 0100000;
    static final int S_IFDIR = 0040000;
    /** The MS-DOS directory attribute, for readers that ignore the Unix half. */
    static final int DOS_DIRECTORY = 0x10;

    static final int END_LENGTH = 22;
    static final int ZIP64_END_LENGTH = 56;
    static final int ZIP64_LOCATOR_LENGTH = 20;

    private ZipRecords() {
    }

    static void writeLocalHeader(EntryLayout layout, int crc, ByteBuffer out) {
        out.order(ByteOrder.LITTLE_ENDIAN);
        boolean zip64 = layout.needsZip64Sizes();
        long size = layout.entry().size();
        out.putInt(LOCAL_HEADER_SIGNATURE);
        out.putShort(versionNeeded(layout));
        out.putShort(flags(layout));
        out.putShort(METHOD_STORED);
        out.putInt(layout.dosDateTime());
        out.putInt(crc);
        out.putInt(zip64 ? -1 : (int) size); // compressed size
        out.putInt(zip64 ? -1 : (int) size); // uncompressed size
        out.putShort((short) layout.name().length);
        out.putShort((short) (layout.localHeaderLength() - EntryLayout.LOCAL_FIXED - layout.name().length));
        out.put(layout.name());
        if (zip64) {
            // APPNOTE 4.5.3: a local header's ZIP64 field holds both sizes, original first.
            out.putShort(ZIP64_EXTRA_ID);
            out.putShort((short) 16);
            out.putLong(size);
            out.putLong(size);
        }
        writeExtendedTime(layout, out);
    }

    static void writeCentralHeader(EntryLayout layout, int crc, ByteBuffer out) {
        out.order(ByteOrder.LITTLE_ENDIAN);
        long size = layout.entry().size();
        boolean zip64Sizes = layout.needsZip64Sizes();
        boolean zip64Offset = layout.needsZip64Offset();
        out.putInt(CENTRAL_HEADER_SIGNATURE);
        out.putShort(VERSION_MADE_BY);
        out.putShort(versionNeeded(layout));
        out.putShort(flags(layout));
        out.putShort(METHOD_STORED);
        out.putInt(layout.dosDateTime());
        out.putInt(crc);
        out.putInt(zip64Sizes ? -1 : (int) size);
        out.putInt(zip64Sizes ? -1 : (int) size);
        out.putShort((short) layout.name().length);
        out.putShort((short) (layout.centralZip64ExtraLength()
                + (layout.hasExtendedTime() ? EntryLayout.EXTENDED_TIME_EXTRA : 0)));
        out.putShort((short) 0); // comment length
        out.putShort((short) 0); // disk number start
        out.putShort((short) 0); // internal attributes
        out.putInt(externalAttributes(layout));
        out.putInt(zip64Offset ? -1 : (int) layout.localHeaderOffset());
        out.put(layout.name());
        if (layout.centralZip64ExtraLength() > 0) {
            // APPNOTE 4.5.3: only the overflowed fields, in this fixed order.
            out.putShort(ZIP64_EXTRA_ID);
            out.putShort((short) (layout.centralZip64ExtraLength() - 4));
            if (zip64Sizes) {
                out.putLong(size);
                out.putLong(size);
            }
            if (zip64Offset) {
                out.putLong(layout.localHeaderOffset());
            }
        }
        writeExtendedTime(layout, out);
    }

    /**
     * The end records (APPNOTE 4.3.14 to 4.3.16). The ZIP64 end record and its locator
     * come first, and only when a count, size or offset overflows its 16- or 32-bit slot;
     * in the classic record only the overflowed fields hold all ones.
     */
    static void writeEndRecords(EndLayout end, ByteBuffer out) {
        out.order(ByteOrder.LITTLE_ENDIAN);
        if (end.needsZip64()) {
            out.putInt(ZIP64_END_SIGNATURE);
            out.putLong(ZIP64_END_LENGTH - 12); // size of the rest of this record
            out.putShort(VERSION_MADE_BY);
            out.putShort(VERSION_ZIP64);
            out.putInt(0); // this disk
            out.putInt(0); // disk with the central directory
            out.putLong(end.entryCount());
            out.putLong(end.entryCount());
            out.putLong(end.centralDirectorySize());
            out.putLong(end.centralDirectoryOffset());

            out.putInt(ZIP64_LOCATOR_SIGNATURE);
            out.putInt(0); // disk with the ZIP64 end record
            out.putLong(end.zip64EndOffset());
            out.putInt(1); // total disks
        }
        short entries = end.entryCountOverflows() ? (short) -1 : (short) end.entryCount();
        out.putInt(END_SIGNATURE);
        out.putShort((short) 0); // this disk
        out.putShort((short) 0); // disk with the central directory
        out.putShort(entries);
        out.putShort(entries);
        out.putInt(end.centralDirectorySizeOverflows() ? -1 : (int) end.centralDirectorySize());
        out.putInt(end.centralDirectoryOffsetOverflows() ? -1 : (int) end.centralDirectoryOffset());
        out.putShort((short) 0); // comment length
    }

    private static short versionNeeded(EntryLayout layout) {
        if (layout.needsZip64()) {
            return VERSION_ZIP64;
        }
        return layout.isDirectory() ? VERSION_DIRECTORY : VERSION_STORED;
    }

    private static short flags(EntryLayout layout) {
        return layout.needsUtf8Flag() ? FLAG_UTF8 : 0;
    }

    /** APPNOTE 4.4.15: with "made by" Unix, the high 16 bits are st_mode. */
    private static int externalAttributes(EntryLayout layout) {
        int type = layout.isDirectory() ? S_IFDIR : S_IFREG;
        return ((type | layout.entry().permissions()) << 16) | (layout.isDirectory() ? DOS_DIRECTORY : 0);
    }

    /** Info-ZIP extended timestamp: flags bit 0 says "modification time follows". */
    private static void writeExtendedTime(EntryLayout layout, ByteBuffer out) {
        if (layout.hasExtendedTime()) {
            out.putShort(EXTENDED_TIME_EXTRA_ID);
            out.putShort((short) 5);
            out.put((byte) 1);
            out.putInt((int) Math.floorDiv(layout.entry().mtimeMillis(), 1000));
        }
    }
}
