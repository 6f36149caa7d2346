package dev.downloadservice.http;

import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.FileOpener;
import dev.downloadservice.source.LocalFolders;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.zip.ArchivePlan;
import dev.downloadservice.zip.ArchivePlan.Kind;
import dev.downloadservice.zip.ArchivePlan.Slice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces one byte range of an archive as a sequence of messages: batches of headers
 * and small bodies in exactly sized pooled buffers, large bodies as zero-copy
 * {@link DefaultFileRegion}s or, when something must see the bytes (a delay), as read
 * chunks.
 *
 * <p>The caller's thread (the event loop) only cuts the range into tasks, which is
 * arithmetic on the plan; the tasks open and read files on the I/O executor, a couple
 * at a time, so a folder of small files is read on several threads while the bytes go
 * out in order. {@link #next()} is called again only after its previous future completed.
 */
final class ArchiveBody implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ArchiveBody.class);

    /** Most bytes of headers and small bodies in one batch. */
    static final int BATCH = 256 * 1024;
    /**
     * Bodies up to this size are read into batches; larger ones go out by sendfile.
     * See docs/benchmarks.md for how it was chosen.
     */
    static final int SMALL_FILE = 256 * 1024;
    /** How many entries ahead of the one being sent to have their CRC-32 computed. */
    static final int CRC_PREFETCH = 4;
    /**
     * Tasks under way at once for one download (a throttled download has one). Measured in
     * docs/benchmarks.md: 3 reads a folder of small files ~15 % faster than 2; it also
     * bounds what a stalled client holds, about (PARALLEL_TASKS + 1) × BATCH.
     */
    static final int PARALLEL_TASKS = 3;

    private final ArchivePlan plan;
    private final List<SourceFile> files;
    private final LocalFolders folders;
    private final long start;
    private final long end;
    private final ChecksumCache checksums;
    private final Executor io;
    private final ByteBufAllocator allocator;
    /** 0 for zero copy: each large body goes out whole as a file region. */
    private final int chunkSize;
    private final int batchSize;
    /** Bodies up to this size are batched: {@link #SMALL_FILE}, or a chunk when throttled (a pause per chunk). */
    private final int smallFile;
    private final int parallelism;

    private final Iterator<Slice> slices;
    private Slice current;
    /** Bytes of the current slice already planned (only a chunked body is planned in several steps). */
    private long currentDone;

    /** CRC-32s computed from the bytes read to send them; a task writes them, a later one reads them. */
    private final int[] crcs;
    /** CRC-32s from the cache, requested as their headers are planned (and a few ahead). */
    private final Map<Integer, CompletableFuture<Integer>> cachedCrcs = new HashMap<>();
    private final ArrayDeque<CompletableFuture<Object>> ahead = new ArrayDeque<>();
    /** Regions handed out (by identity), with the file each sends: checked again once sent. */
    private final Map<FileRegion, SourceFile> regions = new ConcurrentHashMap<>();

    /** The open file of a chunked body; tasks run one at a time in that mode. */
    private FileChannel chunkedFile;

    ArchiveBody(ArchivePlan plan, List<SourceFile> files, long start, long end, LocalFolders folders,
                ChecksumCache checksums, Executor io, ByteBufAllocator allocator, int chunkSize) {
        this.plan = plan;
        this.files = files;
        this.folders = folders;
        this.start = start;
        this.end = end;
        this.checksums = checksums;
        this.io = io;
        this.allocator = allocator;
        this.chunkSize = chunkSize;
        this.batchSize = chunkSize == 0 ? BATCH : chunkSize;
        this.smallFile = chunkSize == 0 ? SMALL_FILE : Math.min(SMALL_FILE, chunkSize);
        this.parallelism = chunkSize == 0 ? PARALLEL_TASKS : 1;
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
        while (ahead.size() < parallelism && current != null) {
            ahead.add(schedule(planTask()));
        }
        CompletableFuture<Object> first = ahead.poll();
        return first != null ? first : CompletableFuture.completedFuture(null);
    }

    /** Whether anything of the range is left to produce. */
    boolean hasMore() {
        return current != null || !ahead.isEmpty();
    }

    /**
     * To be called once a message is sent. For a file region, checks on the I/O pool that
     * the file did not change while sendfile read it: nothing else saw those bytes, and
     * a file uploaded again while it was sent must abort the download, not complete it.
     */
    CompletableFuture<Void> sent(Object message) {
        SourceFile file = message instanceof FileRegion region ? regions.remove(region) : null;
        if (file == null) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> {
            try (FileOpener opener = folders.opener(); FileChannel channel = opener.openToRead(file)) {
                opener.checkStillUnchanged(file, channel);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
    }

    /** Releases what tasks under way will produce, and the open chunked file. */
    @Override
    public void close() {
        for (CompletableFuture<Object> task : ahead) {
            task.whenComplete((message, error) -> ReferenceCountUtil.release(message));
        }
        ahead.clear();
        regions.clear();
        closeChunkedFile();
    }

    // ---- Planning: on the caller's thread, no I/O. ----

    /** What one task makes: a batch, a file region, or a chunk of a large body. */
    private interface Task {
        Object produce() throws IOException;
    }

    private CompletableFuture<Object> schedule(Planned planned) {
        return planned.ready().thenApplyAsync(ignored -> {
            try {
                return planned.task().produce();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
    }

    /** A task and what must be done before it can run (CRCs it needs, earlier tasks). */
    private record Planned(Task task, CompletableFuture<?> ready) {
    }

    private Planned planTask() {
        if (current.part().kind() == Kind.BODY && current.length() > smallFile) {
            return planLargeBody();
        }
        List<Slice> batch = new ArrayList<>();
        List<CompletableFuture<Integer>> batchCrcs = new ArrayList<>();
        List<CompletableFuture<?>> waitFor = new ArrayList<>();
        long length = 0;
        int crcsToCompute = 0;
        while (current != null) {
            Slice slice = current;
            boolean withBody = crcFromBody(slice);
            long need = slice.length() + (withBody ? plan.entries().get(slice.part().entry()).size() : 0);
            if ((slice.part().kind() == Kind.BODY && slice.length() > smallFile)
                    || (length + need > batchSize && !batch.isEmpty())
                    || (crcsToCompute >= CRC_PREFETCH && !batch.isEmpty() && needsUnknownCrc(slice))) {
                // The last: a range into a central directory with a cold cache must not queue a read of every file at once.
                break;
            }
            prefetchCrcs(slice);
            CompletableFuture<Integer> crc = crcSource(slice);
            if (crc != null) {
                waitFor.add(crc);
                crcsToCompute += crc.isDone() ? 0 : 1;
            } else if (slice.part().kind() == Kind.CENTRAL_HEADER && plan.needsCrc(slice.part().entry())) {
                // Its CRC was computed by the task that sent the entry: wait for every task still under way.
                waitFor.addAll(ahead);
            }
            batch.add(slice);
            batchCrcs.add(crc);
            advance();
            if (withBody) {
                batch.add(current); // the body: a small entry is read, summed and sent in one task
                batchCrcs.add(null);
                advance();
            }
            length += need;
        }
        Batch task = new Batch(List.copyOf(batch), batchCrcs, (int) length);
        return new Planned(task, CompletableFuture.allOf(waitFor.toArray(CompletableFuture[]::new)));
    }

    private Planned planLargeBody() {
        Slice slice = current;
        prefetchCrcs(slice);
        SourceFile file = files.get(slice.part().entry());
        CompletableFuture<?> ready = CompletableFuture.completedFuture(null);
        if (chunkSize == 0) {
            advance();
            return new Planned(() -> {
                DefaultFileRegion region = new DefaultFileRegion(openUnchanged(file), slice.skip(), slice.length());
                regions.put(region, file);
                return region;
            }, ready);
        }
        long position = slice.skip() + currentDone;
        int length = (int) Math.min(chunkSize, slice.length() - currentDone);
        currentDone += length;
        boolean last = currentDone == slice.length();
        if (last) {
            advance();
        }
        return new Planned(() -> readChunk(file, position, length, last), ready);
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
        return size > 0 && size <= smallFile && headerOffset >= start
                && headerOffset + plan.localHeaderLength(entry) + size <= end;
    }

    /** Whether the slice's header needs a CRC from the cache that is not in hand yet. */
    private boolean needsUnknownCrc(Slice slice) {
        Kind kind = slice.part().kind();
        int entry = slice.part().entry();
        if ((kind != Kind.LOCAL_HEADER && kind != Kind.CENTRAL_HEADER) || !plan.needsCrc(entry) || crcFromBody(entry)) {
            return false;
        }
        CompletableFuture<Integer> requested = cachedCrcs.get(entry);
        return requested == null || !requested.isDone();
    }

    /** The cache's CRC for a header slice that needs one not computed from its body; else null. */
    private CompletableFuture<Integer> crcSource(Slice slice) {
        Kind kind = slice.part().kind();
        int entry = slice.part().entry();
        if ((kind != Kind.LOCAL_HEADER && kind != Kind.CENTRAL_HEADER) || !plan.needsCrc(entry) || crcFromBody(entry)) {
            return null;
        }
        CompletableFuture<Integer> crc = requestCrc(entry);
        if (kind == Kind.CENTRAL_HEADER) {
            cachedCrcs.remove(entry); // its last use
        }
        return crc;
    }

    private CompletableFuture<Integer> requestCrc(int entry) {
        return cachedCrcs.computeIfAbsent(entry, i -> checksums.crc32(files.get(i)));
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
            if (plan.needsCrc(next) && !crcFromBody(next)) {
                requestCrc(next);
            }
        }
    }

    // ---- Producing: on the I/O executor. ----

    /** Consecutive headers and small bodies in one exactly sized buffer. */
    private final class Batch implements Task {
        private final List<Slice> slices;
        private final List<CompletableFuture<Integer>> cacheCrcs;
        private final int length;

        Batch(List<Slice> slices, List<CompletableFuture<Integer>> cacheCrcs, int length) {
            this.slices = slices;
            this.cacheCrcs = cacheCrcs;
            this.length = length;
        }

        @Override
        public Object produce() throws IOException {
            ByteBuf buffer = allocator.ioBuffer(length);
            try (FileOpener opener = folders.opener()) {
                for (int i = 0; i < slices.size(); i++) {
                    Slice slice = slices.get(i);
                    int entry = slice.part().entry();
                    if (slice.part().kind() == Kind.BODY) {
                        read(opener, files.get(entry), slice.skip(), (int) slice.length(), buffer);
                    } else if (crcFromBody(slice)) {
                        headerAndBody(opener, slice, buffer);
                        i++; // the body is in the buffer now
                    } else {
                        CompletableFuture<Integer> cached = cacheCrcs.get(i);
                        int crc = cached != null ? cached.join() : entry < 0 ? 0 : crcs[entry];
                        encode(slice, crc, buffer);
                    }
                }
                return buffer;
            } catch (IOException | RuntimeException e) {
                buffer.release();
                throw e;
            }
        }
    }

    /**
     * A small entry: its body is read into the buffer right after room left for its
     * header, the CRC is computed from those same bytes, and the header is written in
     * front. The file is read once, and what is sent is what was summed.
     */
    private void headerAndBody(FileOpener opener, Slice header, ByteBuf buffer) throws IOException {
        int entry = header.part().entry();
        SourceFile file = files.get(entry);
        int headerAt = buffer.writerIndex();
        int bodyAt = headerAt + (int) header.length();
        buffer.writerIndex(bodyAt);
        read(opener, file, 0, (int) file.size(), buffer);
        CRC32 crc = new CRC32();
        crc.update(buffer.nioBuffer(bodyAt, (int) file.size()));
        crcs[entry] = (int) crc.getValue();
        int bodyEnd = buffer.writerIndex();
        buffer.writerIndex(headerAt);
        encode(header, crcs[entry], buffer);
        buffer.writerIndex(bodyEnd);
    }

    private void encode(Slice slice, int crc, ByteBuf buffer) {
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
    private static void read(FileOpener opener, SourceFile file, long position, int length, ByteBuf buffer)
            throws IOException {
        try (FileChannel channel = opener.openToRead(file)) {
            readFully(file, channel, position, length, buffer);
            // What was read must be the listed file, unchanged: a small file's CRC comes from these very bytes.
            opener.checkStillUnchanged(file, channel);
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

    /** One chunk of a large body, for a throttled download; the file stays open from chunk to chunk. */
    private ByteBuf readChunk(SourceFile file, long position, int length, boolean last) throws IOException {
        if (chunkedFile == null) {
            chunkedFile = openUnchanged(file);
        }
        ByteBuf buffer = allocator.ioBuffer(length);
        try (FileOpener opener = folders.opener()) {
            readFully(file, Objects.requireNonNull(chunkedFile), position, length, buffer);
            opener.checkStillUnchanged(file, chunkedFile);
        } catch (IOException | RuntimeException e) {
            buffer.release();
            closeChunkedFile();
            throw e;
        }
        if (last) {
            closeChunkedFile();
        }
        return buffer;
    }

    private FileChannel openUnchanged(SourceFile file) throws IOException {
        try (FileOpener opener = folders.opener()) {
            return opener.openUnchanged(file);
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
