package dev.downloadservice.zip;

import dev.downloadservice.zip.ArchivePlan.Kind;
import dev.downloadservice.zip.ArchivePlan.Slice;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.Iterator;

/**
 * A read-only channel over the bytes a plan describes, produced on demand: lets a
 * reader (commons-compress) open an archive of many GiB that never exists anywhere.
 */
final class PlanChannel implements SeekableByteChannel {

    /** The content of an entry and its CRC-32, as the test decides them. */
    interface Contents {
        void read(int entry, long offset, byte[] into, int at, int length);

        int crc(int entry);
    }

    private final ArchivePlan plan;
    private final Contents contents;
    private long position;
    private boolean open = true;

    PlanChannel(ArchivePlan plan, Contents contents) {
        this.plan = plan;
        this.contents = contents;
    }

    /** The whole range {@code [start, end)} in memory. */
    static byte[] render(ArchivePlan plan, Contents contents, long start, long end) {
        byte[] bytes = new byte[Math.toIntExact(end - start)];
        new PlanChannel(plan, contents).fill(start, bytes, 0, bytes.length);
        return bytes;
    }

    private void fill(long start, byte[] into, int at, int length) {
        Iterator<Slice> slices = plan.slices(start, start + length);
        while (slices.hasNext()) {
            Slice slice = slices.next();
            ArchivePlan.Part part = slice.part();
            int n = (int) slice.length();
            if (part.kind() == Kind.BODY) {
                contents.read(part.entry(), slice.skip(), into, at, n);
            } else {
                ByteBuffer whole = ByteBuffer.allocate((int) part.length());
                plan.encode(part, part.entry() < 0 ? 0 : contents.crc(part.entry()), whole);
                if (whole.position() != part.length()) {
                    throw new AssertionError(part + " encoded " + whole.position() + " bytes, planned " + part.length());
                }
                System.arraycopy(whole.array(), (int) slice.skip(), into, at, n);
            }
            at += n;
        }
    }

    @Override
    public int read(ByteBuffer dst) {
        long left = plan.length() - position;
        if (left <= 0) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), left);
        byte[] bytes = new byte[n];
        fill(position, bytes, 0, n);
        dst.put(bytes);
        position += n;
        return n;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
        position = newPosition;
        return this;
    }

    @Override
    public long size() {
        return plan.length();
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
