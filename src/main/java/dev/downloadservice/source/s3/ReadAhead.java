package dev.downloadservice.source.s3;

import dev.downloadservice.source.Reads.Span;
import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One download's ordered read-ahead across objects. The large bodies it will read in order
 * ({@link #plan}) are cut into parts of at most {@link Limits#part} bytes, each one ranged GET
 * ({@link ObjectStream}: {@code If-Match}, resumed where it broke). While the consumer reads
 * one part, the next parts, of this object and of the next ones, are open and receive ahead
 * of it; the bytes still go to the consumer in the order it asks for them. Bounds:
 * <ul>
 * <li>at most {@link Limits#maxGets} GETs under way;
 * <li>at most the <em>lead</em> in bytes held (received, not yet taken by the consumer),
 *     and the next part opened only while the open parts' bytes not yet asked for are fewer
 *     than twice the lead: a fast consumer drains what arrives, so its parts ahead hold far
 *     less than they span, and the GETs, not the lead, should bound it (16 photos of 5 MiB
 *     span 80 MiB); a slow one still opens no more than the part after its own;
 * <li>the process's {@link ReadAheadBudget}, shared by every download.
 * </ul>
 * The lead follows the consumer, so that the window fills only as fast as the client drains
 * it: it starts at {@link Limits#minLead}, doubles (up to {@link Limits#maxLead}) whenever the consumer
 * waits on a part that was opened ahead of it (the store is slower than the client: more
 * must be in flight), and halves whenever the consumer went {@link #SHRINK_AFTER_NANOS}
 * without waiting (the client is the slower). A part opened at the start or on the
 * consumer's demand is not evidence either way: every download waits on its first bytes,
 * however slow its client, and the first burst into the socket's buffers must not grow the
 * lead of a client that then stalls. A part holds back only its own pieces: the part the
 * consumer waits on always asks for what it waits for, whatever the bounds, so a download
 * never waits on another download's bytes.
 *
 * <p>Locking: the window's state is guarded by its lock, taken before a stream's (never
 * the other way: a stream calls only the {@link Lead} methods, which take no lock). Targets
 * are filled under it only while nothing depends on them yet; asking streams to read ahead,
 * which may run the SDK's code inline, is done after it is released.
 */
final class ReadAhead implements Lead {

    /** How long a consumer goes without waiting before the lead halves. */
    static final long SHRINK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * The bounds of one download's window.
     *
     * @param part    most bytes of one GET: a large object is read as several parts in parallel
     * @param maxGets GETs under way at once
     * @param minLead the lead of a download whose client is slower than the store: what it holds ahead
     * @param maxLead the most it holds ahead
     */
    record Limits(int part, int maxGets, long minLead, long maxLead) {

        /**
         * 16 GETs, as many as the small bodies of a download get; 64 MiB ahead covers about
         * 1 GB/s with 20 ms to a first byte, with room for the streams' ramp-up. See docs/design-notes.md.
         */
        static final Limits DEFAULT = new Limits(8 * 1024 * 1024, 16, 64 * 1024, 64 * 1024 * 1024);

        Limits {
            if (part <= 0 || maxGets <= 0 || minLead <= 0 || maxLead < minLead) {
                throw new IllegalArgumentException("expected a part, GETs and 0 < minLead <= maxLead, found " + this);
            }
        }
    }

    /** A part of a span, read by one stream; {@code asked} is where the consumer's next read of it starts. */
    private static final class Part {
        final SourceFile file;
        final long to;
        final ObjectStream stream;
        /** Whether a wait on it shows the lead too short: it was opened for the lead, not at the start or on demand. */
        final boolean openedAhead;
        long asked;
        boolean waitedOn;

        Part(SourceFile file, long from, long to, ObjectStream stream, boolean openedAhead) {
            this.file = file;
            this.asked = from;
            this.to = to;
            this.stream = stream;
            this.openedAhead = openedAhead;
        }
    }

    /** One fill of a target's slice from a part, decided under the lock. */
    private record Fill(Part part, ByteBuffer slice) {
    }

    private final ObjectStore store;
    private final ReadAheadBudget budget;
    private final Limits limits;
    /** Bytes this download holds ahead of its consumer. */
    private final AtomicLong held = new AtomicLong();
    private final AtomicInteger getsInFlight = new AtomicInteger();
    /** Read by streams under their own locks, written under this one. */
    private volatile long lead;

    private Iterator<Span> spans = List.<Span>of().iterator();
    /** The span being cut into parts, and where its next part starts. */
    private Span cutting;
    private long cutFrom;
    /** Open parts whose bytes are not all asked for yet, in order; the first is the consumer's. */
    private final ArrayDeque<Part> open = new ArrayDeque<>();
    /** Streams of parts wholly asked for, still filling what was asked: closed with the window. */
    private final List<ObjectStream> finishing = new ArrayList<>();
    /** Streams of parts the consumer asked for while every GET was under way: started as GETs end, in order. */
    private final ArrayDeque<ObjectStream> waitingForGet = new ArrayDeque<>();
    private long lastWaitNanos = System.nanoTime();
    private boolean closed;

    ReadAhead(ObjectStore store, ReadAheadBudget budget, Limits limits) {
        this.store = store;
        this.budget = budget;
        this.limits = limits;
        this.lead = limits.minLead();
    }

    /** The spans the consumer will read, in order; parts already open for others are closed. */
    void plan(List<Span> planned) {
        List<ObjectStream> dropped;
        synchronized (this) {
            if (closed) {
                return;
            }
            dropped = replacePlan(planned);
            openNext(/* openedAhead= */ false); // the first GET goes out while the first headers are made
        }
        dropped.forEach(ObjectStream::close);
    }

    /**
     * Fills the target with the bytes of {@code file} from {@code position}; a read the plan
     * did not foresee starts a new one, the span {@code [position, end)}. Completes once every
     * byte is in, or the read failed.
     */
    CompletableFuture<Void> read(SourceFile file, long position, long end, ByteBuffer target) {
        List<CompletableFuture<Void>> fills = new ArrayList<>();
        List<ObjectStream> dropped = List.of();
        List<ObjectStream> ahead;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IOException("the download was closed"));
            }
            Part head = consumersPart();
            if (head == null || !head.file.equals(file) || head.asked != position) {
                dropped = replacePlan(List.of(new Span(file, position, end)));
                openNext(/* openedAhead= */ false);
            }
            boolean waited = false;
            for (Fill fill : cut(target)) {
                CompletableFuture<Void> filled = fill.part().stream.fill(fill.slice());
                if (!filled.isDone()) {
                    waited(fill.part());
                    waited = true;
                }
                // A GET ends with the last fill of its part: a part waiting for a GET may then start.
                filled.whenComplete((ignored, error) -> startWaiting());
                fills.add(filled);
            }
            followConsumer(waited);
            ahead = openAhead();
        }
        dropped.forEach(ObjectStream::close);
        ahead.forEach(ObjectStream::readAhead); // the window moved on, or freed bytes: each asks for more if it may
        return fills.size() == 1 ? fills.get(0) : CompletableFuture.allOf(fills.toArray(CompletableFuture[]::new));
    }

    /** Under the lock: the target cut along the parts it spans, each slice counted as asked for. */
    private List<Fill> cut(ByteBuffer target) {
        List<Fill> fills = new ArrayList<>(2);
        int at = target.position();
        while (at < target.limit()) {
            Part head = consumersPart();
            if (head == null) {
                throw new IllegalArgumentException("expected a read within the planned spans, found one "
                        + (target.limit() - at) + " bytes longer");
            }
            int n = (int) Math.min(target.limit() - at, head.to - head.asked);
            fills.add(new Fill(head, target.duplicate().position(at).limit(at + n)));
            at += n;
            head.asked += n;
            if (head.asked == head.to) {
                open.poll();
                finishing.removeIf(ObjectStream::isOver);
                finishing.add(head.stream);
            }
        }
        return fills;
    }

    /** Under the lock: the part the consumer reads next, opened now if none is open; null past the plan. */
    private Part consumersPart() {
        Part head = open.peek();
        return head != null ? head : openNext(/* openedAhead= */ false);
    }

    /** Under the lock: the consumer waits on this part; if it was opened ahead, the lead was too short. */
    private void waited(Part part) {
        if (!part.waitedOn) {
            part.waitedOn = true;
            budget.waitedOn();
        }
        if (part.openedAhead) {
            lead = Math.min(limits.maxLead(), lead * 2);
        }
        lastWaitNanos = System.nanoTime();
    }

    /** Under the lock: a consumer that has not waited for a while is slower than the store, and needs less ahead. */
    private void followConsumer(boolean waited) {
        long now = System.nanoTime();
        if (!waited && now - lastWaitNanos > SHRINK_AFTER_NANOS) {
            lead = Math.max(limits.minLead(), lead / 2);
            lastWaitNanos = now;
        }
    }

    /**
     * Under the lock: opens the next parts while the bounds allow; returns the streams of every
     * open part, to be asked to read ahead once the lock is released.
     */
    private List<ObjectStream> openAhead() {
        // Parts the consumer asked for come first: a GET that ends goes to them, never to a part after them.
        while (waitingForGet.isEmpty() && getsInFlight.get() < limits.maxGets() && unasked() < 2 * lead
                && budget.hasRoom() && openNext(/* openedAhead= */ true) != null) {
            // opened one more
        }
        List<ObjectStream> streams = new ArrayList<>(open.size());
        for (Part part : open) {
            streams.add(part.stream);
        }
        return streams;
    }

    /** Under the lock: bytes of open parts the consumer has not asked for yet. */
    private long unasked() {
        long bytes = 0;
        for (Part part : open) {
            bytes += part.to - part.asked;
        }
        return bytes;
    }

    /**
     * Starts the GETs of parts that wait for one, as far as the count allows; never called
     * under a stream's lock (a fill completes outside it).
     */
    private void startWaiting() {
        List<ObjectStream> starting = new ArrayList<>();
        synchronized (this) {
            while (!closed && !waitingForGet.isEmpty() && getsInFlight.get() < limits.maxGets()) {
                starting.add(waitingForGet.poll());
                countGet();
            }
        }
        starting.forEach(ObjectStream::start);
    }

    private void countGet() {
        getsInFlight.incrementAndGet();
        budget.getStarted();
    }

    /**
     * Under the lock: opens the next part of the plan, if any is left; it is then the last
     * open part. Its GET starts now if the count allows, else when one ends.
     */
    private Part openNext(boolean openedAhead) {
        while (cutting == null || cutFrom == cutting.end()) {
            if (!spans.hasNext()) {
                return null;
            }
            cutting = spans.next();
            cutFrom = cutting.from();
        }
        long to = Math.min(cutting.end(), cutFrom + limits.part());
        boolean startNow = waitingForGet.isEmpty() && getsInFlight.get() < limits.maxGets();
        if (startNow) {
            countGet();
        }
        ObjectStream stream = new ObjectStream(store, cutting.file(), cutFrom, to, this, startNow);
        if (!startNow) {
            waitingForGet.add(stream);
        }
        Part part = new Part(cutting.file(), cutFrom, to, stream, openedAhead);
        cutFrom = to;
        open.add(part);
        return part;
    }

    /** Under the lock: a new plan; returns the streams of the old one, to be closed once the lock is released. */
    private List<ObjectStream> replacePlan(List<Span> planned) {
        List<ObjectStream> dropped = streams();
        open.clear();
        finishing.clear();
        waitingForGet.clear();
        spans = List.copyOf(planned).iterator();
        cutting = null;
        return dropped;
    }

    private List<ObjectStream> streams() {
        List<ObjectStream> all = new ArrayList<>(finishing);
        for (Part part : open) {
            all.add(part.stream);
        }
        return all;
    }

    /** Ends every GET under way and drops every byte held: reads waiting on them fail at once. */
    void close() {
        List<ObjectStream> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = replacePlan(List.of());
        }
        all.forEach(ObjectStream::close);
    }

    /** Bytes this download holds ahead of its consumer now. */
    long heldBytes() {
        return held.get();
    }

    /** GETs of this download under way now. */
    int getsInFlight() {
        return getsInFlight.get();
    }

    /** The lead now, in bytes. */
    long lead() {
        return lead;
    }

    @Override
    public boolean mayHoldMore() {
        return held.get() < lead && budget.hasRoom();
    }

    @Override
    public void held(long change) {
        held.addAndGet(change);
        budget.held(change);
    }

    @Override
    public void getEnded() {
        getsInFlight.decrementAndGet();
        budget.getEnded();
    }
}
