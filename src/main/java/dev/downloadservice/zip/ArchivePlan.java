package dev.downloadservice.zip;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The layout of a STORED archive, computed from the listing alone: every record's
 * offset and the total length are known before a byte of content is read, so any
 * byte range of the archive can be produced without producing what comes before it.
 *
 * <p>The archive is the sequence of {@link Part}s: for each entry its local header
 * and its body, then a central directory header per entry, then the end records.
 * Header parts are encoded here (given the entry's CRC-32); bodies are the entry's
 * file content, which the caller supplies.
 */
public final class ArchivePlan {

    private final List<ArchiveEntry> entries;
    private final EntryLayout[] layouts;
    /** centralOffsets[i] = where entry i's central header starts; the last slot is the end records. */
    private final long[] centralOffsets;
    private final EndLayout end;

    private ArchivePlan(List<ArchiveEntry> entries) {
        this.entries = List.copyOf(entries);
        this.layouts = new EntryLayout[entries.size()];
        long offset = 0;
        for (int i = 0; i < layouts.length; i++) {
            layouts[i] = EntryLayout.at(entries.get(i), offset);
            offset = layouts[i].endOffset();
        }
        this.centralOffsets = new long[layouts.length + 1];
        long central = offset;
        for (int i = 0; i < layouts.length; i++) {
            centralOffsets[i] = central;
            central += layouts[i].centralHeaderLength();
        }
        centralOffsets[layouts.length] = central;
        this.end = new EndLayout(layouts.length, offset, central - offset);
    }

    /** Lays out the entries in the order given; the caller decides the (stable) order. */
    public static ArchivePlan of(List<ArchiveEntry> entries) {
        return new ArchivePlan(entries);
    }

    public List<ArchiveEntry> entries() {
        return entries;
    }

    public int entryCount() {
        return layouts.length;
    }

    /** The exact length of the archive in bytes: the Content-Length of a full download. */
    public long length() {
        return end.zip64EndOffset() + end.length();
    }

    /**
     * Whether the archive has ZIP64 records (a reader must know ZIP64 to open it). The end records tell it:
     * an entry that needs ZIP64 sizes or offset puts the central directory past 4 GiB, which needs them too.
     */
    public boolean usesZip64() {
        return end.needsZip64();
    }

    public long centralDirectoryOffset() {
        return end.centralDirectoryOffset();
    }

    public long localHeaderOffset(int entry) {
        return layouts[entry].localHeaderOffset();
    }

    public int localHeaderLength(int entry) {
        return layouts[entry].localHeaderLength();
    }

    public long centralHeaderOffset(int entry) {
        return centralOffsets[entry];
    }

    /** Whether the entry's headers carry a CRC-32 that must be computed from its content. */
    public boolean needsCrc(int entry) {
        return entries.get(entry).size() > 0;
    }

    /** Encodes a header part (anything but a {@link Kind#BODY}) whole into {@code out}. */
    public void encode(Part part, int crc, ByteBuffer out) {
        switch (part.kind()) {
            case LOCAL_HEADER -> ZipRecords.writeLocalHeader(layouts[part.entry()], crc, out);
            case CENTRAL_HEADER -> ZipRecords.writeCentralHeader(layouts[part.entry()], crc, out);
            case END -> ZipRecords.writeEndRecords(end, out);
            case BODY -> throw new IllegalArgumentException("expected a header part, found the body of entry " + part.entry());
        }
    }

    /** All parts of the archive, in order, with their offsets. */
    public List<Part> parts() {
        List<Part> parts = new ArrayList<>(3 * layouts.length + 1);
        slices(0, length()).forEachRemaining(slice -> parts.add(slice.part()));
        return parts;
    }

    /**
     * The parts that overlap the byte range {@code [start, end)} of the archive, in
     * order, each clipped to the range. Empty bodies are skipped.
     */
    public Iterator<Slice> slices(long start, long endExclusive) {
        if (start < 0 || endExclusive > length() || start > endExclusive) {
            throw new IllegalArgumentException("expected 0 <= start <= end <= " + length()
                    + ", found [" + start + ", " + endExclusive + ")");
        }
        return new SliceIterator(firstPartAt(start), start, endExclusive);
    }

    /** The index (in the part numbering of {@link #partAt}) of the part that holds byte {@code offset}. */
    private int firstPartAt(long offset) {
        int n = layouts.length;
        if (offset < end.centralDirectoryOffset()) {
            int entry = lastAtOrBefore(offset, i -> layouts[i].localHeaderOffset(), n);
            return offset < layouts[entry].bodyOffset() ? 2 * entry : 2 * entry + 1;
        }
        if (offset < end.zip64EndOffset()) {
            return 2 * n + lastAtOrBefore(offset, i -> centralOffsets[i], n);
        }
        return 3 * n;
    }

    private interface OffsetOf {
        long at(int index);
    }

    /** Binary search: the last index in [0, count) whose offset is <= {@code offset}. */
    private static int lastAtOrBefore(long offset, OffsetOf offsets, int count) {
        int low = 0;
        int high = count - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (offsets.at(mid) <= offset) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /** Parts are numbered: 2i = local header of entry i, 2i+1 = its body, 2n+i = central header i, 3n = end. */
    private Part partAt(int index) {
        int n = layouts.length;
        if (index < 2 * n) {
            EntryLayout layout = layouts[index / 2];
            return index % 2 == 0
                    ? new Part(Kind.LOCAL_HEADER, index / 2, layout.localHeaderOffset(), layout.localHeaderLength())
                    : new Part(Kind.BODY, index / 2, layout.bodyOffset(), layout.entry().size());
        }
        if (index < 3 * n) {
            int entry = index - 2 * n;
            return new Part(Kind.CENTRAL_HEADER, entry, centralOffsets[entry], layouts[entry].centralHeaderLength());
        }
        return new Part(Kind.END, -1, end.zip64EndOffset(), end.length());
    }

    private final class SliceIterator implements Iterator<Slice> {
        private int next;
        private final long start;
        private final long end;

        SliceIterator(int first, long start, long end) {
            this.next = first;
            this.start = start;
            this.end = end;
            skipEmpty();
        }

        @Override
        public boolean hasNext() {
            return start < end && next <= 3 * layouts.length && partAt(next).offset() < end;
        }

        @Override
        public Slice next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Part part = partAt(next++);
            skipEmpty();
            long from = Math.max(start, part.offset()) - part.offset();
            long to = Math.min(end, part.offset() + part.length()) - part.offset();
            return new Slice(part, from, to - from);
        }

        private void skipEmpty() {
            while (next < 2 * layouts.length && partAt(next).length() == 0) {
                next++;
            }
        }
    }

    public enum Kind { LOCAL_HEADER, BODY, CENTRAL_HEADER, END }

    /**
     * One contiguous piece of the archive.
     *
     * @param entry  the entry it belongs to; -1 for the end records
     * @param offset where it starts in the archive
     */
    public record Part(Kind kind, int entry, long offset, long length) {
    }

    /** The bytes {@code [skip, skip + length)} of a part. */
    public record Slice(Part part, long skip, long length) {
    }
}
