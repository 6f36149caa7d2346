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
import java.nio.channels.FileChannel;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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

    /** Header bytes gathered into one buffer before it is written. */
    static final int HEADER_BATCH = 64 * 1024;
    /** How many entries ahead of the one being sent to have their CRC-32 computed. */
    static final int CRC_PREFETCH = 4;

    private final ArchivePlan plan;
    private final List<SourceFile> files;
    private final long end;
    private final ChecksumCache checksums;
    private final Executor io;
    private final ByteBufAllocator allocator;
    /** 0 for zero copy: each body goes out whole as a file region. */
    private final int chunkSize;

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
        this.end = end;
        this.checksums = checksums;
        this.io = io;
        this.allocator = allocator;
        this.chunkSize = chunkSize;
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
        CompletableFuture<?> crcReady = headerCrc(current);
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
            return current.part().kind() == Kind.BODY ? produceBody() : produceHeaders();
        } catch (IOException e) {
            closeChunkedFile();
            throw new UncheckedIOException(e);
        }
    }

    /** Consecutive header slices whose CRCs are known, as many as fit one batch. */
    private ByteBuf produceHeaders() {
        ByteBuf buffer = allocator.ioBuffer((int) Math.max(HEADER_BATCH, current.length()));
        try {
            while (current != null && current.part().kind() != Kind.BODY
                    && current.length() <= buffer.writableBytes() && crcKnown(current)) {
                encode(current, buffer);
                advance();
            }
            return buffer;
        } catch (RuntimeException e) {
            buffer.release();
            throw e;
        }
    }

    private void encode(Slice slice, ByteBuf buffer) {
        int entry = slice.part().entry();
        int crc = entry < 0 ? 0 : crcs[entry];
        int length = (int) slice.part().length();
        if (slice.skip() == 0 && slice.length() == length) {
            plan.encode(slice.part(), crc, buffer.nioBuffer(buffer.writerIndex(), length));
        } else {
            // A range that cuts through a header: encode it whole, keep the cut.
            java.nio.ByteBuffer whole = java.nio.ByteBuffer.allocate(length);
            plan.encode(slice.part(), crc, whole);
            buffer.setBytes(buffer.writerIndex(), whole.array(), (int) slice.skip(), (int) slice.length());
        }
        buffer.writerIndex(buffer.writerIndex() + (int) slice.length());
    }

    private Object produceBody() throws IOException {
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
            while (buffer.readableBytes() < length) {
                int n = buffer.writeBytes(chunkedFile, position + buffer.readableBytes(), length - buffer.readableBytes());
                if (n < 0) {
                    throw new FileChangedException(file.name() + " changed: expected " + file.size()
                            + " bytes, it ended at " + (position + buffer.readableBytes()));
                }
            }
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
            if (plan.needsCrc(next) && !knownCrcs.get(next)) {
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
