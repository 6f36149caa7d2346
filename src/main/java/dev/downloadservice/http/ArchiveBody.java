package dev.downloadservice.http;

import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.FileOpener;
import dev.downloadservice.source.Folders;
import dev.downloadservice.source.LocalFolders;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.Reads.Read;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.CRC32;

/**
 * Produces one byte range of an archive as a sequence of messages: batches of headers
 * and small bodies in exactly sized pooled buffers, large bodies as zero-copy
 * {@link DefaultFileRegion}s (local files) or as read chunks (objects in a store, or
 * when something must see the bytes: a delay).
 *
 * <p>The caller's thread (the event loop) only cuts the range into tasks, which is
 * arithmetic on the plan; the source's {@link Reads} read the files elsewhere, a couple
 * of tasks at a time, so a folder of small files is read in parallel while the bytes go
 * out in order. {@link #next()} is called again only after its previous future completed.
 */
final class ArchiveBody implements AutoCloseable {

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
    private final Folders folders;
    private final Reads reads;
    private final long start;
    private final long end;
    private final ChecksumCache checksums;
    private final Executor io;
    private final ByteBufAllocator allocator;
    /** Most bytes of a large body's chunk; 0 for zero copy: each large body goes out whole as a file region. */
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

    /**
     * @param io        where a local file sent by sendfile is checked again
     * @param chunkSize the pacing's chunk (a pause per chunk), or 0 for none
     */
    ArchiveBody(ArchivePlan plan, List<SourceFile> files, long start, long end, Folders folders,
                ChecksumCache checksums, Executor io, ByteBufAllocator allocator, int chunkSize) {
        this.plan = plan;
        this.files = files;
        this.folders = folders;
        this.reads = folders.reads();
        this.start = start;
        this.end = end;
        this.checksums = checksums;
        this.io = io;
        this.allocator = allocator;
        // Only a local file can go out unseen by sendfile; an object's bytes pass through memory.
        this.chunkSize = chunkSize == 0 && !(folders instanceof LocalFolders) ? BATCH : chunkSize;
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
        LocalFolders local = (LocalFolders) folders;
        return CompletableFuture.runAsync(() -> {
            try (FileOpener opener = local.opener(); FileChannel channel = opener.openToRead(file)) {
                opener.checkStillUnchanged(file, channel);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io);
    }

    /** Releases what tasks under way will produce, and ends the reads (streams from a store). */
    @Override
    public void close() {
        for (CompletableFuture<Object> task : ahead) {
            task.whenComplete((message, error) -> ReferenceCountUtil.release(message));
        }
        ahead.clear();
        regions.clear();
        reads.close();
    }

    // ---- Planning: on the caller's thread, no I/O. ----

    /** What one task makes: a batch, a file region, or a chunk of a large body. */
    private interface Task {
        CompletableFuture<Object> produce();
    }

    /** Starts the task once what it waits for is done; a task that waits for nothing starts now, in planning order. */
    private static CompletableFuture<Object> schedule(Planned planned) {
        return planned.ready().thenCompose(ignored -> planned.task().produce());
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
            LocalFolders local = (LocalFolders) folders;
            return new Planned(() -> CompletableFuture.supplyAsync(() -> {
                DefaultFileRegion region = new DefaultFileRegion(openUnchanged(local, file), slice.skip(),
                        slice.length());
                regions.put(region, file);
                return region;
            }, io), ready);
        }
        long position = slice.skip() + currentDone;
        int length = (int) Math.min(chunkSize, slice.length() - currentDone);
        long bodyEnd = slice.skip() + slice.length();
        currentDone += length;
        if (currentDone == slice.length()) {
            advance();
        }
        return new Planned(() -> readChunk(file, position, length, bodyEnd), ready);
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

    // ---- Producing: the source reads; headers are encoded once the bodies they need are in. ----

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

        /** Reads every body into its place in the buffer, then writes the headers around them. */
        @Override
        public CompletableFuture<Object> produce() {
            return filled(length, buffer -> {
                List<Read> bodies = new ArrayList<>();
                int at = 0;
                for (Slice slice : slices) {
                    if (slice.part().kind() == Kind.BODY) {
                        SourceFile file = files.get(slice.part().entry());
                        bodies.add(new Read(file, slice.skip(), buffer.nioBuffer(at, (int) slice.length())));
                    }
                    at += (int) slice.length();
                }
                return bodies.isEmpty() ? CompletableFuture.completedFuture(null) : reads.read(bodies);
            }, this::writeHeaders);
        }

        /** With the bodies in place: each header, its CRC from its body, the cache, or an earlier task. */
        private void writeHeaders(ByteBuf buffer) {
            int at = 0;
            for (int i = 0; i < slices.size(); i++) {
                Slice slice = slices.get(i);
                int entry = slice.part().entry();
                if (slice.part().kind() != Kind.BODY) {
                    int crc;
                    if (crcFromBody(slice)) {
                        CRC32 sum = new CRC32();
                        sum.update(buffer.nioBuffer(at + (int) slice.length(), (int) files.get(entry).size()));
                        crcs[entry] = (int) sum.getValue();
                        crc = crcs[entry];
                    } else {
                        CompletableFuture<Integer> cached = cacheCrcs.get(i);
                        crc = cached != null ? cached.join() : entry < 0 ? 0 : crcs[entry];
                    }
                    encode(slice, crc, buffer, at);
                }
                at += (int) slice.length();
            }
            buffer.writerIndex(length);
        }
    }

    private void encode(Slice slice, int crc, ByteBuf buffer, int at) {
        int length = (int) slice.part().length();
        if (slice.skip() == 0 && slice.length() == length) {
            plan.encode(slice.part(), crc, buffer.nioBuffer(at, length));
        } else {
            // A range that cuts through a header: encode it whole, keep the cut.
            ByteBuffer whole = ByteBuffer.allocate(length);
            plan.encode(slice.part(), crc, whole);
            buffer.setBytes(at, whole.array(), (int) slice.skip(), (int) slice.length());
        }
    }

    /** One chunk of a large body: the source may stream the body's chunks from one request. */
    private CompletableFuture<Object> readChunk(SourceFile file, long position, int length, long bodyEnd) {
        return filled(length, buffer -> reads.readInOrder(file, position, bodyEnd, buffer.nioBuffer(0, length)),
                buffer -> buffer.writerIndex(length));
    }

    /**
     * A pooled buffer of {@code length} bytes, filled by {@code read} and then {@code finish}ed.
     * On any failure it is released, and never before the read has ended: until then the
     * source may still be writing into it.
     */
    private CompletableFuture<Object> filled(int length, Function<ByteBuf, CompletableFuture<Void>> read,
                                             Consumer<ByteBuf> finish) {
        ByteBuf buffer = allocator.ioBuffer(length);
        CompletableFuture<Void> reading;
        try {
            reading = read.apply(buffer);
        } catch (RuntimeException notStarted) { // an executor that is shutting down: no read began
            buffer.release();
            return CompletableFuture.failedFuture(notStarted);
        }
        return reading.handle((ignored, error) -> {
            if (error != null) {
                buffer.release();
                throw error instanceof CompletionException e ? e : new CompletionException(error);
            }
            try {
                finish.accept(buffer);
                return buffer;
            } catch (RuntimeException e) {
                buffer.release();
                throw e;
            }
        });
    }

    private static FileChannel openUnchanged(LocalFolders local, SourceFile file) {
        try (FileOpener opener = local.opener()) {
            return opener.openUnchanged(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
