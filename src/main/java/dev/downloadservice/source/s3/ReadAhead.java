package dev.downloadservice.source.s3;

import dev.downloadservice.source.Reads.Span;
import dev.downloadservice.source.RecentBytes;
import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * <p>An object the store keeps no CRC-32 of would be read twice: once for the CRC its local
 * header needs before its bytes, once to send them. Instead, a part that is a whole object of
 * at most {@link Limits#hold} bytes can be <em>held whole</em> ({@link #crc32}): its bytes are
 * reserved in the budget, all of it is received whatever the lead, and its CRC is summed as it
 * arrives; the consumer then takes the body from those bytes. Only a consumer that asks for
 * at least {@link #HOLD_WHOLE_AFTER_BYTES_PER_SECOND} gets objects held whole: a slow one's
 * are read for their CRC first, and then sent as any other part. Where the store may keep a
 * CRC-32 of the object, a HEAD asks for it at once: if it has one, the header need not wait
 * for the bytes, and they are checked against it (a mismatch fails the read before the last
 * byte, so the archive never looks whole). Objects held whole but not yet
 * asked for stay within the lead, except for one, so that a download always progresses; and
 * an object held whole that arrives only once the consumer is at it shows the lead too short,
 * as a wait on a part would.
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
     * Objects are held whole only for a consumer that asked for at least this much in the last
     * second or two, as much as a large body's least: a slow client (10 kB/s) would hold a photo
     * for minutes, so its objects are read for their CRC-32 and then sent as any other part,
     * within its lead; one that took a photo in a few seconds holds one for as long.
     */
    static final long HOLD_WHOLE_AFTER_BYTES_PER_SECOND = 256 * 1024;

    /**
     * The bounds of one download's window.
     *
     * @param part    most bytes of one GET: a large object is read as several parts in parallel
     * @param maxGets GETs under way at once
     * @param minLead the lead of a download whose client is slower than the store: what it holds ahead
     * @param maxLead the most it holds ahead
     * @param hold    the largest object held whole for its CRC-32, read as one part
     */
    record Limits(int part, int maxGets, long minLead, long maxLead, int hold) {

        /**
         * 16 GETs, as many as the small bodies of a download get; 64 MiB ahead covers about
         * 1 GB/s with 20 ms to a first byte, with room for the streams' ramp-up; a photo of up
         * to 16 MiB is read once even where the store keeps no CRC. See docs/design-notes.md.
         */
        static final Limits DEFAULT = new Limits(8 * 1024 * 1024, 16, 64 * 1024, 64 * 1024 * 1024, 16 * 1024 * 1024);

        Limits {
            if (part <= 0 || maxGets <= 0 || minLead <= 0 || maxLead < minLead || hold < 0) {
                throw new IllegalArgumentException("expected a part, GETs, 0 < minLead <= maxLead and a hold, found "
                        + this);
            }
        }

        /** Objects held whole up to one part. */
        Limits(int part, int maxGets, long minLead, long maxLead) {
            this(part, maxGets, minLead, maxLead, part);
        }
    }

    /** One fill of a target's slice from a part, decided under the lock. */
    private record Fill(ReadAheadPart part, ByteBuffer slice) {
    }

    private final ObjectStore store;
    private final ReadAheadBudget budget;
    private final Limits limits;
    /** Bytes this download holds ahead of its consumer. */
    private final AtomicLong held = new AtomicLong();
    private final AtomicInteger getsInFlight = new AtomicInteger();
    /** Read by streams under their own locks, written under this one. */
    private volatile long lead;

    private List<Span> spans = List.of();
    /** The index of the next span to cut; the span being cut into parts, and where its next part starts. */
    private int nextSpan;
    private Span cutting;
    private long cutFrom;
    /** Open parts whose bytes are not all asked for yet, in order; the first is the consumer's. */
    private final ArrayDeque<ReadAheadPart> open = new ArrayDeque<>();
    /** Streams of parts wholly asked for, still filling what was asked: closed with the window. */
    private final List<ObjectStream> finishing = new ArrayList<>();
    /** Streams of parts the consumer asked for while every GET was under way: started as GETs end, in order. */
    private final ArrayDeque<ObjectStream> waitingForGet = new ArrayDeque<>();
    private long lastWaitNanos = System.nanoTime();
    /** How fast the consumer asks: objects are held whole only for a fast one. */
    private final RecentBytes asked = new RecentBytes();
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
            ReadAheadPart head = consumersPart();
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
            ReadAheadPart head = consumersPart();
            if (head == null) {
                throw new IllegalArgumentException("expected a read within the planned spans, found one "
                        + (target.limit() - at) + " bytes longer");
            }
            int n = (int) Math.min(target.limit() - at, head.to - head.asked);
            fills.add(new Fill(head, target.duplicate().position(at).limit(at + n)));
            at += n;
            head.asked += n;
            asked.add(n);
            if (head.asked == head.to) {
                open.poll();
                finishing.removeIf(ObjectStream::isOver);
                finishing.add(head.stream);
            }
        }
        return fills;
    }

    /** Under the lock: the part the consumer reads next, opened now if none is open; null past the plan. */
    private ReadAheadPart consumersPart() {
        ReadAheadPart head = open.peek();
        return head != null ? head : openNext(/* openedAhead= */ false);
    }

    /**
     * The CRC-32 of a whole object of the plan, summed from the bytes read to send it: its part
     * is held whole. Empty if it cannot be, or not now: the object is not a span of the plan
     * the consumer has not begun, is larger than {@link Limits#hold}, lies further ahead than
     * twice the lead, the consumer is slow (or has not begun), or it does not fit: objects held
     * whole and not yet asked for stay within the lead, but for one, and every one within the budget.
     */
    Optional<CompletableFuture<Integer>> crc32(SourceFile file) {
        CompletableFuture<Integer> sum;
        ReadAheadPart part;
        synchronized (this) {
            long size = file.size();
            if (closed || size == 0 || size > limits.hold()) {
                return Optional.empty();
            }
            part = openPartOf(file);
            int span = part == null ? spanAhead(file) : -1;
            if (part == null ? span < 0 || bytesBefore(span) > 2 * lead : !part.mayBeHeldWhole()) {
                return Optional.empty();
            }
            long notAsked = heldWholeNotAsked();
            if (asked.lately() < HOLD_WHOLE_AFTER_BYTES_PER_SECOND || notAsked > 0 && notAsked + size > lead
                    || !budget.hasRoom()) {
                return Optional.empty();
            }
            if (part == null) {
                part = openThrough(span);
            }
            sum = part.holdWhole();
            if (sum == null) {
                return Optional.empty(); // over the budget: opened, it is read as any other part
            }
        }
        part.stream.readAhead(); // a stream the lead had stopped asks for the rest now
        ReadAheadPart held = part;
        CompletableFuture<Integer> crc = store.mayTellChecksums() ? storedOrSummed(held, sum) : sum;
        crc.whenComplete((value, error) -> arrived(held));
        return Optional.of(crc);
    }

    /**
     * The CRC-32 the store keeps, if it keeps one, asked for at once: the header then need not
     * wait for the whole object, and the bytes are checked against it as they arrive. Else the sum.
     */
    private CompletableFuture<Integer> storedOrSummed(ReadAheadPart part, CompletableFuture<Integer> sum) {
        return store.storedCrc32(part.file).thenCompose(stored -> stored.isPresent()
                ? part.stream.expectCrc32(stored.getAsInt())
                : sum);
    }

    /** Under the lock: the open part of the file, if one is. */
    private ReadAheadPart openPartOf(SourceFile file) {
        for (ReadAheadPart part : open) {
            if (part.file.equals(file)) {
                return part;
            }
        }
        return null;
    }

    /** Under the lock: the index of the file's whole span among those not cut yet, or -1. */
    private int spanAhead(SourceFile file) {
        for (int i = nextSpan; i < spans.size(); i++) {
            Span span = spans.get(i);
            if (span.file().equals(file)) {
                return span.from() == 0 && span.end() == file.size() ? i : -1;
            }
        }
        return -1;
    }

    /** Under the lock: the bytes of the plan still to cut before the span at the index. */
    private long bytesBefore(int index) {
        long bytes = cutting == null ? 0 : cutting.end() - cutFrom;
        for (int i = nextSpan; i < index; i++) {
            bytes += spans.get(i).end() - spans.get(i).from();
        }
        return bytes;
    }

    /** Under the lock: the bytes of objects held whole that the consumer has not asked for yet. */
    private long heldWholeNotAsked() {
        long bytes = 0;
        for (ReadAheadPart part : open) {
            if (part.isHeldWhole()) {
                bytes += part.to - part.asked;
            }
        }
        return bytes;
    }

    /** Under the lock: opens the parts before the span at the index, and the span itself, one part. */
    private ReadAheadPart openThrough(int index) {
        while (true) {
            boolean atIt = nextSpan == index && (cutting == null || cutFrom == cutting.end());
            ReadAheadPart part = openNext(/* openedAhead= */ true);
            if (atIt) {
                return part;
            }
        }
    }

    /**
     * An object held whole is in. If the consumer is already at it, having asked for every
     * byte before, it came too late, or only just in time: the lead is too short, as when the
     * consumer waits on a part.
     */
    private void arrived(ReadAheadPart part) {
        synchronized (this) {
            if (!closed && open.peek() == part) {
                waited(part);
            }
        }
    }

    /** Under the lock: the consumer waits on this part; if it was opened ahead, the lead was too short. */
    private void waited(ReadAheadPart part) {
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
        for (ReadAheadPart part : open) {
            streams.add(part.stream);
        }
        return streams;
    }

    /** Under the lock: bytes of open parts the consumer has not asked for yet. */
    private long unasked() {
        long bytes = 0;
        for (ReadAheadPart part : open) {
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
    private ReadAheadPart openNext(boolean openedAhead) {
        while (cutting == null || cutFrom == cutting.end()) {
            if (nextSpan == spans.size()) {
                return null;
            }
            cutting = spans.get(nextSpan++);
            cutFrom = cutting.from();
        }
        // An object of at most the hold is one part, so that it can be held whole.
        boolean wholeObject = cutFrom == 0 && cutting.end() == cutting.file().size() && cutting.end() <= limits.hold();
        long to = wholeObject ? cutting.end() : Math.min(cutting.end(), cutFrom + limits.part());
        boolean startNow = waitingForGet.isEmpty() && getsInFlight.get() < limits.maxGets();
        if (startNow) {
            countGet();
        }
        ReadAheadPart part = new ReadAheadPart(store, budget, this, cutting.file(), cutFrom, to, openedAhead, startNow);
        if (!startNow) {
            waitingForGet.add(part.stream);
        }
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
        spans = List.copyOf(planned);
        nextSpan = 0;
        cutting = null;
        return dropped;
    }

    private List<ObjectStream> streams() {
        List<ObjectStream> all = new ArrayList<>(finishing);
        for (ReadAheadPart part : open) {
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
