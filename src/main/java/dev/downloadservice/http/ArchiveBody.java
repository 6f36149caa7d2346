package dev.downloadservice.http;

import dev.downloadservice.archive.PreparedArchive;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.Reads.Read;
import dev.downloadservice.source.RecentBytes;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.ZeroCopy;
import dev.downloadservice.zip.ArchivePlan;
import dev.downloadservice.zip.ArchivePlan.Kind;
import dev.downloadservice.zip.ArchivePlan.Slice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.CRC32;

/**
 * Produces one byte range of an archive as a sequence of {@link BodyPart}s: batches of
 * headers and small bodies in exactly sized pooled buffers, large bodies as zero-copy file
 * regions (where the source offers {@link ZeroCopy}) or as read chunks (objects in a store,
 * or when something must see the bytes: a delay).
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
    /**
     * Tasks under way at once for one download (a throttled download has one). Measured in
     * docs/benchmarks.md: 3 reads a folder of small files ~15 % faster than 2; it also
     * bounds what a stalled client holds, about (PARALLEL_TASKS + 1) × BATCH.
     */
    static final int PARALLEL_TASKS = 3;
    /**
     * A client that took less than this in the last second or two is slow: what goes through
     * memory for it is read {@link #SLOW_CLIENT_PART} at a time, one task ahead, so that a
     * stalled client holds about 2 × 32 KiB of buffers, not (PARALLEL_TASKS + 1) × BATCH:
     * a thousand slow downloads from a store held a MiB each and ran direct memory out. A
     * fast client passes it within its first few parts.
     */
    static final long FAST_CLIENT_BYTES_PER_SECOND = 1024 * 1024;
    static final int SLOW_CLIENT_PART = 32 * 1024;

    /** How a body gets its files' bytes and CRC-32s: the download's reads of its source, and the shared cache. */
    /**
     * @param unseenTail the bytes at the end of a response that must go through memory, so that
     *                   no byte sent by sendfile can still be in a socket queue when the last part
     *                   waits for its check ({@link SocketBuffers}); empty for no sendfile at all
     */
    record Sources(Reads reads, ChecksumCache checksums, OptionalLong unseenTail) {
    }

    private final ArchivePlan plan;
    private final List<SourceFile> files;
    private final Reads reads;
    private final ByteBufAllocator allocator;
    /** Large bodies go out by sendfile where the source can and nothing must see the bytes. */
    private final Optional<ZeroCopy> zeroCopy;
    /** Where sendfile stops: the archive offset from which every byte of the range goes through memory. */
    private final long unseenEnd;
    /** Most bytes of a large body's chunk read through memory. */
    private final int chunkSize;
    private final int batchSize;
    /** Bodies up to this size are batched: {@link #SMALL_FILE}, or a chunk when throttled (a pause per chunk). */
    private final int smallFile;
    private final int parallelism;
    private final EntryCrcs crcs;

    /** Bytes handed out lately: how fast the client takes them, since a part is asked for only once it can. */
    private final RecentBytes taken = new RecentBytes();
    private final Iterator<Slice> slices;
    private Slice current;
    /** Bytes of the current slice already planned (only a chunked body is planned in several steps). */
    private long currentDone;
    private final ArrayDeque<Ahead> ahead = new ArrayDeque<>();

    /** @param pacedChunk the pacing's chunk (a pause per chunk), or 0 for none */
    ArchiveBody(PreparedArchive archive, ByteRange.Part range, Sources sources, ByteBufAllocator allocator,
                int pacedChunk) {
        this.plan = archive.plan();
        this.files = archive.listing().files();
        this.reads = sources.reads();
        this.allocator = allocator;
        boolean paced = pacedChunk != 0;
        this.zeroCopy = paced || sources.unseenTail().isEmpty() ? Optional.empty() : reads.zeroCopy();
        this.unseenEnd = range.end() - sources.unseenTail().orElse(0);
        this.chunkSize = paced ? pacedChunk : BATCH;
        this.batchSize = paced ? pacedChunk : BATCH;
        this.smallFile = paced ? Math.min(SMALL_FILE, pacedChunk) : SMALL_FILE;
        this.parallelism = paced ? 1 : PARALLEL_TASKS;
        this.crcs = new EntryCrcs(plan, files, range, smallFile, sources.checksums(), reads);
        this.slices = plan.slices(range.start(), range.end());
        this.current = slices.hasNext() ? slices.next() : null;
        if (zeroCopy.isEmpty()) {
            reads.planInOrder(largeBodies(range));
        }
    }

    /** The large bodies of the range, as {@link #readChunk} will read them: the source may fetch them ahead. */
    private List<Reads.Span> largeBodies(ByteRange.Part range) {
        List<Reads.Span> spans = new ArrayList<>();
        for (Iterator<Slice> all = plan.slices(range.start(), range.end()); all.hasNext(); ) {
            Slice slice = all.next();
            if (isLargeBody(slice)) {
                spans.add(new Reads.Span(files.get(slice.part().entry()), slice.skip(), slice.skip() + slice.length()));
            }
        }
        return spans;
    }

    /**
     * The next part, which the caller now owns, or null when the range is complete. Fails
     * with a {@code FileChangedException} (possibly wrapped) when a file is no longer what
     * the plan was made from.
     */
    CompletableFuture<BodyPart> next() {
        boolean fast = taken.lately() >= FAST_CLIENT_BYTES_PER_SECOND;
        while (ahead.size() < (fast ? parallelism : 1) && current != null) {
            ahead.add(schedule(planTask(fast)));
        }
        Ahead first = ahead.poll();
        if (first == null) {
            return CompletableFuture.completedFuture(null);
        }
        taken.add(first.length());
        return first.part();
    }

    /** How files went out by sendfile, if any may: what checks them again at the end. */
    Optional<ZeroCopy> zeroCopy() {
        return zeroCopy;
    }

    /** Whether anything of the range is left to produce. */
    boolean hasMore() {
        return current != null || !ahead.isEmpty();
    }

    /** Releases what tasks under way will produce, and ends the reads (streams from a store). */
    @Override
    public void close() {
        for (Ahead task : ahead) {
            task.part().whenComplete((part, error) -> {
                if (part != null) {
                    part.release();
                }
            });
        }
        ahead.clear();
        reads.close();
    }

    // ---- Planning: on the caller's thread, no I/O. ----

    /** What one task makes: a batch, a file region, or a chunk of a large body. */
    private interface Task {
        CompletableFuture<BodyPart> produce();
    }

    /** Starts the task once what it waits for is done; a task that waits for nothing starts now, in planning order. */
    private static Ahead schedule(Planned planned) {
        return new Ahead(planned.ready().thenCompose(ignored -> planned.task().produce()), planned.length());
    }

    /**
     * A task and what must be done before it can run (CRCs it needs, earlier tasks).
     *
     * @param length the bytes it makes
     */
    private record Planned(Task task, CompletableFuture<?> ready, long length) {
    }

    /** A task under way, and the bytes it will make. */
    private record Ahead(CompletableFuture<BodyPart> part, long length) {
    }

    /** @param fast whether the client is fast: a slow one's parts through memory are small */
    private Planned planTask(boolean fast) {
        int batchSize = fast ? this.batchSize : Math.min(this.batchSize, SLOW_CLIENT_PART);
        if (isLargeBody(current)) {
            return planLargeBody(fast ? chunkSize : Math.min(chunkSize, SLOW_CLIENT_PART));
        }
        List<Slice> batch = new ArrayList<>();
        List<CompletableFuture<Integer>> batchCrcs = new ArrayList<>();
        List<CompletableFuture<?>> waitFor = new ArrayList<>();
        long length = 0;
        int crcsToCompute = 0;
        while (current != null) {
            Slice slice = current;
            boolean withBody = crcs.fromBody(slice);
            long need = slice.length() + (withBody ? plan.entries().get(slice.part().entry()).size() : 0);
            if (isLargeBody(slice)
                    || (length + need > batchSize && !batch.isEmpty())
                    || (crcsToCompute >= EntryCrcs.PREFETCH && !batch.isEmpty() && crcs.needsUnknown(slice))) {
                // The last: a range into a central directory with a cold cache must not queue a read of every file at once.
                break;
            }
            // This header's CRC first: a source holding bodies whole for their CRCs gives its next one precedence.
            CompletableFuture<Integer> crc = crcs.requestFromCache(slice);
            crcs.prefetch(slice);
            if (crc != null) {
                waitFor.add(crc);
                crcsToCompute += crc.isDone() ? 0 : 1;
            } else if (crcs.computedByEarlierTask(slice)) {
                ahead.forEach(task -> waitFor.add(task.part())); // wait for every task still under way
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
        return new Planned(task, CompletableFuture.allOf(waitFor.toArray(CompletableFuture[]::new)), length);
    }

    private boolean isLargeBody(Slice slice) {
        return slice.part().kind() == Kind.BODY && slice.length() > smallFile;
    }

    private Planned planLargeBody(int chunkSize) {
        Slice slice = current;
        crcs.prefetch(slice);
        SourceFile file = files.get(slice.part().entry());
        CompletableFuture<?> ready = CompletableFuture.completedFuture(null);
        // By sendfile up to where the range's tail begins; from there through memory.
        long unseenLength = Math.min(slice.length(), unseenEnd - (slice.part().offset() + slice.skip()));
        if (zeroCopy.isPresent() && currentDone == 0 && unseenLength > 0) {
            currentDone = unseenLength;
            if (currentDone == slice.length()) {
                advance();
            }
            ZeroCopy sender = zeroCopy.get();
            return new Planned(() -> sender.open(file, slice.skip(), unseenLength).thenApply(BodyPart.FileBytes::of),
                    ready, unseenLength);
        }
        long position = slice.skip() + currentDone;
        int length = (int) Math.min(chunkSize, slice.length() - currentDone);
        long bodyEnd = slice.skip() + slice.length();
        currentDone += length;
        if (currentDone == slice.length()) {
            advance();
        }
        return new Planned(() -> readChunk(file, position, length, bodyEnd), ready, length);
    }

    private void advance() {
        current = slices.hasNext() ? slices.next() : null;
        currentDone = 0;
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
        public CompletableFuture<BodyPart> produce() {
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
                    if (crcs.fromBody(slice)) {
                        CRC32 sum = new CRC32();
                        sum.update(buffer.nioBuffer(at + (int) slice.length(), (int) files.get(entry).size()));
                        crc = (int) sum.getValue();
                        crcs.computed(entry, crc);
                    } else {
                        CompletableFuture<Integer> cached = cacheCrcs.get(i);
                        crc = cached != null ? cached.join() : crcs.computed(entry);
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
    private CompletableFuture<BodyPart> readChunk(SourceFile file, long position, int length, long bodyEnd) {
        return filled(length, buffer -> reads.readInOrder(file, position, bodyEnd, buffer.nioBuffer(0, length)),
                buffer -> buffer.writerIndex(length));
    }

    /**
     * A pooled buffer of {@code length} bytes, filled by {@code read} and then {@code finish}ed.
     * On any failure it is released, and never before the read has ended: until then the
     * source may still be writing into it.
     */
    private CompletableFuture<BodyPart> filled(int length, Function<ByteBuf, CompletableFuture<Void>> read,
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
                return new BodyPart.Bytes(buffer);
            } catch (RuntimeException e) {
                buffer.release();
                throw e;
            }
        });
    }
}
