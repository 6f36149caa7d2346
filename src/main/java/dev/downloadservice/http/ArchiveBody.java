package dev.downloadservice.http;

import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.LocalFolders;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.zip.ArchivePlan;
import dev.downloadservice.zip.ArchivePlan.Kind;
import dev.downloadservice.zip.ArchivePlan.Slice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultFileRegion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces the bytes of one byte range of an archive as a pull sequence of messages:
 * header bytes in pooled buffers (many headers per buffer), file bodies as zero-copy
 * {@link DefaultFileRegion}s or, when something must see the bytes, as read chunks.
 *
 * <p>{@link #next()} is called again only after the previous call's future completed;
 * the state here is touched by one thread at a time, handed over by that future.
 * Files are opened and read on the I/O executor, never on the caller's thread.
 */
final class ArchiveBody implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ArchiveBody.class);

    /** Headers and small bodies gathered into one buffer before it is written. */
    static final int BATCH = 256 * 1024;
    /**
     * Bodies up to this size are read into batches; larger ones go out by sendfile.
     * See docs/benchmarks.md for how it was chosen.
     */
    static final int SMALL_FILE = 64 * 1024;
    /** How many entries ahead of the one being sent to have their CRC-32 computed. */
    static final int CRC_PREFETCH = 4;

    private final ArchivePlan plan;
    private final List<SourceFile> files;
    private final long start;
    private final long end;
    private final ChecksumCache checksums;
    private final Executor io;
    private final ByteBufAllocator allocator;
    /** 0 for zero copy: each large body goes out whole as a file region. */
    private final int chunkSize;
    private final int batchSize;

    private final Iterator<Slice> slices;
    private Slice current;
    /** Bytes of the current slice already produced (only a chunked body is produced in several steps). */
    private long currentDone;

    private final int[] crcs;
    private final BitSet knownCrcs = new BitSet();
    private final Map<Integer, CompletableFuture<Integer>> pendingCrcs = new HashMap<>();

    private FileChannel chunkedFile;

    ArchiveBody(ArchivePlan plan, List<SourceFile> files, long start, long end, ChecksumCache checksums,
                Executor io, ByteBufAllocator allocator, int chunkSize) {
        this.plan = plan;
        this.files = files;
        this.start = start;
        this.end = end;
        this.checksums = checksums;
        this.io = io;
        this.allocator = allocator;
        this.chunkSize = chunkSize;
        this.batchSize = chunkSize == 0 ? BATCH : chunkSize;
        this.slices = plan.slices(start, end);
        this.crcs = new int[plan.entryCount()];
        this.current = slices.hasNext() ? slices.next() : null;
    }

    /**
     * The next message: a {@link ByteBuf} or a {@link DefaultFileRegion} that the caller
     * now owns, or null when the range is complete. Fails with a {@link FileChangedException}
     * (possibly wrapped) when a file is no longer what the plan was made from.
     */
    CompletableFuture<Object> next() {
        if (current == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?> crcReady = crcFromBody(current) ? CompletableFuture.completedFuture(null) : headerCrc(current);
        prefetchCrcs(current);
        return crcReady.thenApplyAsync(ignored -> produce(), io);
    }

    /** Whether anything of the range is left to produce. */
    boolean hasMore() {
        return current != null;
    }

    @Override
    public void close() {
        closeChunkedFile();
    }

    private Object produce() {
        try {
            boolean largeBody = current.part().kind() == Kind.BODY && current.length() > SMALL_FILE;
            return largeBody ? produceLargeBody() : produceBatch();
        } catch (IOException e) {
            closeChunkedFile();
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Consecutive headers and small bodies, as many as fit one buffer: for a folder of
     * small files this makes one write of many entries, not two per file.
     */
    private ByteBuf produceBatch() throws IOException {
        // Room for at least the first slice, so that every batch makes progress.
        long first = crcFromBody(current) ? current.length() + plan.entries().get(current.part().entry()).size() : current.length();
        ByteBuf buffer = allocator.ioBuffer((int) Math.max(batchSize, first));
        try {
            while (current != null && addToBatch(current, buffer)) {
                advance();
            }
            return buffer;
        } catch (IOException | RuntimeException e) {
            buffer.release();
            throw e;
        }
    }

    /** Adds the slice to the buffer if it belongs in a batch and fits; false to end the batch. */
    private boolean addToBatch(Slice slice, ByteBuf buffer) throws IOException {
        int entry = slice.part().entry();
        if (slice.part().kind() == Kind.BODY) {
            if (slice.length() > SMALL_FILE || slice.length() > buffer.writableBytes()) {
                return false;
            }
            read(files.get(entry), slice.skip(), (int) slice.length(), buffer);
            return true;
        }
        if (crcFromBody(slice) && !crcKnown(slice)) {
            return addHeaderAndBody(slice, buffer);
        }
        if (slice.length() > buffer.writableBytes() || !crcKnown(slice)) {
            return false;
        }
        encode(slice, buffer);
        return true;
    }

    /**
     * A small entry whose CRC-32 is not known yet: its body is read into the buffer right
     * after room left for its header, the CRC is computed from those same bytes, and the
     * header is written in front. The file is read once, and what is sent is what was summed.
     */
    private boolean addHeaderAndBody(Slice header, ByteBuf buffer) throws IOException {
        int entry = header.part().entry();
        SourceFile file = files.get(entry);
        int headerLength = (int) header.length();
        if (headerLength + file.size() > buffer.writableBytes()) {
            return false;
        }
        int headerAt = buffer.writerIndex();
        buffer.writerIndex(headerAt + headerLength);
        read(file, 0, (int) file.size(), buffer);
        CRC32 crc = new CRC32();
        crc.update(buffer.nioBuffer(headerAt + headerLength, (int) file.size()));
        crcs[entry] = (int) crc.getValue();
        knownCrcs.set(entry);
        int end = buffer.writerIndex();
        buffer.writerIndex(headerAt);
        encode(header, buffer);
        buffer.writerIndex(end);
        advance(); // the body, now in the buffer; the caller advances past the header
        return true;
    }

    private void encode(Slice slice, ByteBuf buffer) {
        int entry = slice.part().entry();
        int crc = entry < 0 ? 0 : crcs[entry];
        int length = (int) slice.part().length();
        if (slice.skip() == 0 && slice.length() == length) {
            plan.encode(slice.part(), crc, buffer.nioBuffer(buffer.writerIndex(), length));
        } else {
            // A range that cuts through a header: encode it whole, keep the cut.
            ByteBuffer whole = ByteBuffer.allocate(length);
            plan.encode(slice.part(), crc, whole);
            buffer.setBytes(buffer.writerIndex(), whole.array(), (int) slice.skip(), (int) slice.length());
        }
        buffer.writerIndex(buffer.writerIndex() + (int) slice.length());
    }

    /** Appends {@code length} bytes of the file from {@code position}; the file must be the listed version. */
    private static void read(SourceFile file, long position, int length, ByteBuf buffer) throws IOException {
        try (FileChannel channel = LocalFolders.openUnchanged(file)) {
            readFully(file, channel, position, length, buffer);
        }
    }

    private static void readFully(SourceFile file, FileChannel channel, long position, int length, ByteBuf buffer)
            throws IOException {
        for (int done = 0; done < length; ) {
            int n = buffer.writeBytes(channel, position + done, length - done);
            if (n < 0) {
                throw new FileChangedException(file.name() + " changed: expected " + file.size()
                        + " bytes, it ended at " + (position + done));
            }
            done += n;
        }
    }

    /** A body too large for a batch: zero copy as one file region, or (throttled) one chunk at a time. */
    private Object produceLargeBody() throws IOException {
        SourceFile file = files.get(current.part().entry());
        long position = current.skip() + currentDone;
        long remaining = current.length() - currentDone;
        if (chunkSize == 0) {
            FileChannel channel = LocalFolders.openUnchanged(file);
            advance();
            return new DefaultFileRegion(channel, position, remaining);
        }
        if (chunkedFile == null) {
            chunkedFile = LocalFolders.openUnchanged(file);
        }
        int length = (int) Math.min(chunkSize, remaining);
        ByteBuf buffer = allocator.ioBuffer(length);
        try {
            readFully(file, chunkedFile, position, length, buffer);
        } catch (IOException | RuntimeException e) {
            buffer.release();
            throw e;
        }
        currentDone += length;
        if (currentDone == current.length()) {
            closeChunkedFile();
            advance();
        }
        return buffer;
    }

    private void advance() {
        current = slices.hasNext() ? slices.next() : null;
        currentDone = 0;
    }

    /** Whether the slice is a whole local header of a small entry whose whole body is in the range too. */
    private boolean crcFromBody(Slice slice) {
        return slice.part().kind() == Kind.LOCAL_HEADER && slice.skip() == 0
                && slice.length() == slice.part().length() && crcFromBody(slice.part().entry());
    }

    /** A small entry wholly inside the range gets its CRC-32 from the bytes read to send it. */
    private boolean crcFromBody(int entry) {
        long size = plan.entries().get(entry).size();
        long headerOffset = plan.localHeaderOffset(entry);
        return size > 0 && size <= SMALL_FILE && headerOffset >= start
                && headerOffset + plan.localHeaderLength(entry) + size <= end;
    }

    private boolean needsCrc(Slice slice) {
        Kind kind = slice.part().kind();
        return (kind == Kind.LOCAL_HEADER || kind == Kind.CENTRAL_HEADER) && plan.needsCrc(slice.part().entry());
    }

    /** A future that completes when the slice's header can be encoded. */
    private CompletableFuture<?> headerCrc(Slice slice) {
        if (!needsCrc(slice) || knownCrcs.get(slice.part().entry())) {
            return CompletableFuture.completedFuture(null);
        }
        return requestCrc(slice.part().entry());
    }

    private CompletableFuture<Integer> requestCrc(int entry) {
        return pendingCrcs.computeIfAbsent(entry, i -> checksums.crc32(files.get(i)));
    }

    /** Whether the slice's CRC is in hand; takes a finished computation in, rethrows a failed one. */
    private boolean crcKnown(Slice slice) {
        if (!needsCrc(slice)) {
            return true;
        }
        int entry = slice.part().entry();
        if (knownCrcs.get(entry)) {
            return true;
        }
        CompletableFuture<Integer> pending = pendingCrcs.get(entry);
        if (pending == null || !pending.isDone()) {
            return false;
        }
        crcs[entry] = pending.join();
        knownCrcs.set(entry);
        pendingCrcs.remove(entry);
        return true;
    }

    /**
     * Starts the CRC-32 of the next few entries whose headers lie in the range, so that
     * reading them overlaps sending this one (and warms the page cache for the send).
     */
    private void prefetchCrcs(Slice slice) {
        int entry = slice.part().entry();
        if (entry < 0) {
            return;
        }
        boolean central = slice.part().kind() == Kind.CENTRAL_HEADER;
        for (int next = entry + 1; next <= entry + CRC_PREFETCH && next < plan.entryCount(); next++) {
            long headerOffset = central ? plan.centralHeaderOffset(next) : plan.localHeaderOffset(next);
            if (headerOffset >= end) {
                return;
            }
            if (plan.needsCrc(next) && !knownCrcs.get(next) && (central || !crcFromBody(next))) {
                requestCrc(next);
            }
        }
    }

    private void closeChunkedFile() {
        if (chunkedFile != null) {
            try {
                chunkedFile.close();
            } catch (IOException e) {
                log.debug("closing a file failed", e);
            }
            chunkedFile = null;
        }
    }
}
