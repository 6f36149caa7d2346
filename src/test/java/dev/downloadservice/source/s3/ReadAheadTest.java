package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.Reads.Span;
import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One download's read-ahead window against S3Proxy: its bounds, a slow and a fast consumer, its end, a failed part. */
class ReadAheadTest {

    private static final int CHUNK = 256 * 1024;
    /** The most bytes the SDK hands over at once: Netty reads at most 64 KiB from a socket at a time. */
    private static final int PIECE = 64 * 1024;
    private static ObjectsInStore objects;

    @BeforeAll
    static void start() throws Exception {
        objects = new ObjectsInStore();
    }

    @AfterAll
    static void stop() throws Exception {
        objects.close();
    }

    /** Objects of random bytes under the prefix, with their contents. */
    private static List<SourceFile> put(String prefix, int count, int size, List<byte[]> contents) {
        List<SourceFile> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] content = ObjectsInStore.content(size, prefix.hashCode() + i);
            contents.add(content);
            files.add(objects.put(prefix + "/" + i, content));
        }
        return files;
    }

    /** A window of its own, with a budget no test reaches. */
    private static ReadAhead window(ReadAhead.Limits limits) {
        return new ReadAhead(objects.store, new ReadAheadBudget(1 << 30), limits);
    }

    private static List<Span> whole(List<SourceFile> files) {
        return files.stream().map(f -> new Span(f, 0, f.size())).toList();
    }

    /** The most a window had under way and held while its spans were read through it as fast as it gave them. */
    private record Most(long gets, long held) {
    }

    private static Most readSampling(ReadAhead window, List<Span> spans, List<byte[]> contents, long pauseMillis)
            throws Exception {
        AtomicLong mostGets = new AtomicLong();
        AtomicLong mostHeld = new AtomicLong();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (reading.get()) {
                mostGets.accumulateAndGet(window.getsInFlight(), Math::max);
                mostHeld.accumulateAndGet(window.heldBytes(), Math::max);
            }
        });
        sampler.start();
        window.plan(spans);
        try {
            byte[] read = ObjectsInStore.readAll(window, spans, 16 * 1024, pauseMillis);
            assertThat(read).isEqualTo(ObjectsInStore.expected(spans, contents));
        } finally {
            reading.set(false);
            sampler.join();
            window.close();
        }
        return new Most(mostGets.get(), mostHeld.get());
    }

    @Test
    void read_leadNotReached_neverMoreThanMaxGetsInFlight() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<Span> spans = whole(put("count", 12, 300_000, contents));
        long lead = 64 * 1024 * 1024;
        ReadAheadBudget budget = new ReadAheadBudget(1 << 30);
        ReadAhead window = new ReadAhead(objects.store, budget, new ReadAhead.Limits(64 * 1024, 3, lead, lead));

        Most most = readSampling(window, spans, contents, /* pauseMillis= */ 0);

        assertThat(most.gets()).isEqualTo(3);
        assertThat(budget.partsWaitedOn()).isPositive();
    }

    @Test
    void read_consumerSlowerThanTheStore_neverMoreThanTheLeadHeld() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<Span> spans = whole(put("lead", 12, 300_000, contents));
        long lead = 64 * 1024;
        ReadAhead window = window(new ReadAhead.Limits(256 * 1024, 16, lead, lead));

        Most most = readSampling(window, spans, contents, /* pauseMillis= */ 5);

        // Parts longer than the lead: only the lead stops them. Beyond it, one piece (at most 64 KiB,
        // Netty's largest read) for each of the two streams the lead lets open: the consumer's and the next.
        assertThat(most.held()).isPositive().isLessThanOrEqualTo(lead + 2 * PIECE);
    }

    @Test
    void read_consumerStopsAfterItsFirstChunks_holdsAtMostTheSmallestLeadAndTheStoreStops() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<Span> spans = whole(put("slow", 2, 24 * 1024 * 1024, contents));
        ReadAheadBudget budget = new ReadAheadBudget(1 << 30);
        ReadAhead window = new ReadAhead(objects.store, budget, ReadAhead.Limits.DEFAULT);
        long receivedBefore = objects.store.bytesReceived();
        window.plan(spans);
        try {
            List<CompletableFuture<Void>> firstChunks = new ArrayList<>();
            for (int i = 0; i < 3; i++) { // as ArchiveBody asks: three chunks at once, then the client stalls
                firstChunks.add(window.read(spans.get(0).file(), (long) i * CHUNK, spans.get(0).end(),
                        ByteBuffer.allocate(CHUNK)));
            }
            CompletableFuture.allOf(firstChunks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            Thread.sleep(1000);
            long received = objects.store.bytesReceived() - receivedBefore;
            Thread.sleep(1000);

            long minLead = ReadAhead.Limits.DEFAULT.minLead();
            assertThat(window.lead()).isEqualTo(minLead);
            assertThat(window.heldBytes()).isLessThanOrEqualTo(minLead + PIECE); // the lead, and one piece beyond it
            assertThat(received).isLessThanOrEqualTo(3L * CHUNK + minLead + PIECE);
            assertThat(objects.store.bytesReceived() - receivedBefore).as("received while the consumer stalled")
                    .isEqualTo(received);
            assertThat(window.getsInFlight()).isEqualTo(1);
        } finally {
            window.close();
        }
        assertThat(budget.heldBytes()).isZero();
    }

    @Test
    void read_consumerFasterThanTheStore_leadGrows() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<Span> spans = whole(put("fast", 8, 1024 * 1024, contents));
        ReadAheadBudget budget = new ReadAheadBudget(1 << 30);
        ReadAhead.Limits limits = new ReadAhead.Limits(256 * 1024, 16, 64 * 1024, 64 * 1024 * 1024);
        ReadAhead window = new ReadAhead(objects.store, budget, limits);
        window.plan(spans);
        try {
            assertThat(ObjectsInStore.readAll(window, spans, CHUNK)).isEqualTo(ObjectsInStore.expected(spans, contents));

            assertThat(window.lead()).isGreaterThan(limits.minLead());
        } finally {
            window.close();
        }
    }

    @Test
    void close_withGetsInFlightAndBytesHeld_releasesThemAtOnceAndFailsTheReadsWaiting() throws Exception {
        List<Span> spans = whole(put("closed", 16, 1024 * 1024, new ArrayList<>()));
        ReadAheadBudget budget = new ReadAheadBudget(1 << 30);
        long lead = 8 * 1024 * 1024;
        // 16 parts of 1 MiB open at the first read (fewer than twice the lead unasked), and the
        // lead stops them at 8 MiB held: about half of them stay under way, however fast the store.
        ReadAhead window = new ReadAhead(objects.store, budget, new ReadAhead.Limits(1024 * 1024, 16, lead, lead));
        window.plan(spans);
        window.read(spans.get(0).file(), 0, spans.get(0).end(), ByteBuffer.allocate(CHUNK)).get(30, TimeUnit.SECONDS);
        awaitUpTo10s(() -> budget.heldBytes() > 0 && budget.getsInFlight() > 1);
        assertThat(budget.getsInFlight()).as("GETs ahead under way").isGreaterThan(1);
        assertThat(budget.heldBytes()).as("bytes held ahead").isPositive();
        // The last part of the first object: its GET is under way, it may not have a byte yet.
        CompletableFuture<Void> waiting = window.read(spans.get(0).file(), CHUNK, spans.get(0).end(),
                ByteBuffer.allocate(3 * CHUNK));

        window.close();

        assertThat(budget.heldBytes()).isZero();
        assertThat(budget.getsInFlight()).isZero();
        // A part read to its last byte is left to receive the end of its response, so that its
        // connection goes back to the pool: the store lets go of it shortly after, not at once.
        awaitUpTo10s(() -> objects.store.openStreams() == 0);
        assertThat(objects.store.openStreams()).as("streams still open 10 s after the close").isZero();
        assertThat(waiting).satisfiesAnyOf(w -> assertThat(w).isCompleted(),
                w -> assertThat(w).isCompletedExceptionally());
        assertThat(window.read(spans.get(1).file(), 0, spans.get(1).end(), ByteBuffer.allocate(CHUNK)))
                .isCompletedExceptionally();
    }

    private static int crc32(byte[] content) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return (int) crc.getValue();
    }

    /** Reads the first object through the window, as fast as it comes: the consumer is then a fast one. */
    private static void readFirst(ReadAhead window, List<Span> spans) throws Exception {
        ObjectsInStore.readAll(window, spans.subList(0, 1), CHUNK);
    }

    @Test
    void crc32_objectsHeldWhole_eachReadOnceItsCrcFromThoseBytes() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<SourceFile> files = put("whole", 4, 1024 * 1024, contents);
        List<Span> spans = whole(files);
        ReadAheadBudget budget = new ReadAheadBudget(1 << 30);
        long lead = 8 * 1024 * 1024;
        // Parts of 256 KiB, but objects of up to 1 MiB are one part: they may be held whole.
        ReadAhead window = new ReadAhead(objects.store, budget, new ReadAhead.Limits(256 * 1024, 16, lead, lead,
                1024 * 1024));
        long receivedBefore = objects.store.bytesReceived();
        window.plan(spans);
        try {
            assertThat(window.crc32(files.get(0))).as("before the consumer asked for anything").isEmpty();
            readFirst(window, spans);
            // As EntryCrcs asks: each object's CRC before its header, the next ones ahead.
            List<CompletableFuture<Integer>> crcs = new ArrayList<>();
            for (SourceFile file : files.subList(1, 4)) {
                crcs.add(window.crc32(file).orElseThrow());
            }
            for (int i = 0; i < crcs.size(); i++) {
                assertThat(crcs.get(i).get(30, TimeUnit.SECONDS)).as("CRC of object " + (i + 1))
                        .isEqualTo(crc32(contents.get(i + 1)));
            }
            List<Span> rest = spans.subList(1, 4);
            assertThat(ObjectsInStore.readAll(window, rest, CHUNK))
                    .isEqualTo(ObjectsInStore.expected(rest, contents.subList(1, 4)));

            assertThat(objects.store.bytesReceived() - receivedBefore).as("bytes from the store").isEqualTo(4L << 20);
        } finally {
            window.close();
        }
        assertThat(budget.heldBytes()).isZero();
        assertThat(budget.reservedBytes()).isZero();
    }

    @Test
    void crc32_notAWholeObjectOfThePlanOrTooLargeOrBegun_isEmpty() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<SourceFile> files = put("notwhole", 3, 512 * 1024, contents);
        SourceFile elsewhere = objects.put("notwhole/elsewhere", ObjectsInStore.content(1024, 7));
        ReadAhead window = window(new ReadAhead.Limits(256 * 1024, 16, 64 * 1024 * 1024, 64 * 1024 * 1024, 1 << 20));
        // The first object from its middle: a resumed range; the third is not in the plan.
        window.plan(List.of(new Span(files.get(0), 1000, files.get(0).size()), new Span(files.get(1), 0, files.get(1).size())));
        try {
            long rest = files.get(0).size() - 1000;
            window.read(files.get(0), 1000, files.get(0).size(), ByteBuffer.allocate((int) rest)).get(30, TimeUnit.SECONDS);
            assertThat(window.crc32(files.get(0))).as("a span from byte 1000").isEmpty();
            assertThat(window.crc32(files.get(2))).as("not in the plan").isEmpty();
            assertThat(window.crc32(elsewhere)).as("not in the plan").isEmpty();
            window.read(files.get(1), 0, files.get(1).size(), ByteBuffer.allocate(CHUNK)).get(30, TimeUnit.SECONDS);
            assertThat(window.crc32(files.get(1))).as("begun").isEmpty();
        } finally {
            window.close();
        }
        ReadAhead small = window(new ReadAhead.Limits(1 << 20, 16, 64 * 1024, 64 * 1024 * 1024, 256 * 1024));
        List<Span> spans = whole(files);
        small.plan(spans);
        try {
            readFirst(small, spans);
            assertThat(small.crc32(files.get(1))).as("over the hold").isEmpty();
        } finally {
            small.close();
        }
    }

    @Test
    void crc32_pastTheLeadOrTheBudget_isEmpty_andCloseReleasesTheReservation() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<SourceFile> files = put("held", 4, 1024 * 1024, contents);
        List<Span> spans = whole(files);
        long budgetBytes = 64L << 20;
        ReadAheadBudget budget = new ReadAheadBudget(budgetBytes);
        long minLead = 64 * 1024;
        ReadAhead window = new ReadAhead(objects.store, budget, new ReadAhead.Limits(1 << 20, 16, minLead, minLead));
        window.plan(spans);
        try {
            readFirst(window, spans);
            CompletableFuture<Integer> next = window.crc32(files.get(1)).orElseThrow();
            assertThat(window.crc32(files.get(2))).as("a second one ahead, past a lead of 64 KiB").isEmpty();
            budget.held(budgetBytes); // every other download together holds the whole budget
            assertThat(window.crc32(files.get(2))).as("over the budget").isEmpty();
            budget.held(-budgetBytes);

            window.close(); // with the object held whole under way, or in
            try {
                assertThat(next.get(30, TimeUnit.SECONDS)).as("all in before the close").isEqualTo(crc32(contents.get(1)));
            } catch (ExecutionException closedFirst) {
                assertThat(closedFirst).hasRootCauseInstanceOf(IOException.class);
            }
        } finally {
            window.close();
        }
        awaitUpTo10s(() -> budget.heldBytes() == 0 && budget.reservedBytes() == 0);
        assertThat(budget.heldBytes()).isZero();
        assertThat(budget.reservedBytes()).isZero();
    }

    /** Waits until the condition holds, for at most 10 s; the assertion after it says what did not happen. */
    private static void awaitUpTo10s(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** A 412 to the listed ETag: the download must abort, never send other bytes. */
    private static void assertFailsAsChanged(CompletableFuture<Void> read) {
        assertThat(read).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                .havingRootCause().isInstanceOf(FileChangedException.class);
    }

    @Test
    void read_objectReplacedBeforeItsPartOpened_theReadOfItFailsAsChanged() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<SourceFile> files = put("replaced", 3, 300_000, contents);
        List<Span> spans = whole(files);
        long lead = 16 * 1024;
        ReadAhead window = window(new ReadAhead.Limits(64 * 1024, 4, lead, lead));
        window.plan(spans);
        try {
            byte[] first = new byte[300_000];
            ByteBuffer target = ByteBuffer.wrap(first);
            window.read(files.get(0), 0, files.get(0).size(), target).get(30, TimeUnit.SECONDS);
            assertThat(first).isEqualTo(contents.get(0));

            objects.replace(files.get(2).location(), ObjectsInStore.content(300_000, 99));

            window.read(files.get(1), 0, files.get(1).size(), ByteBuffer.allocate(300_000)).get(30, TimeUnit.SECONDS);
            CompletableFuture<Void> changed = window.read(files.get(2), 0, files.get(2).size(),
                    ByteBuffer.allocate(300_000));
            assertFailsAsChanged(changed);
        } finally {
            window.close();
        }
    }

    @Test
    void read_objectReplacedBetweenItsParts_theNextPartFailsAsChanged() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<SourceFile> files = put("midway", 1, 512 * 1024, contents);
        SourceFile file = files.get(0);
        long lead = 4 * 1024;
        ReadAhead window = window(new ReadAhead.Limits(128 * 1024, 4, lead, lead));
        window.plan(whole(files));
        try {
            ByteBuffer firstPart = ByteBuffer.allocate(64 * 1024);
            window.read(file, 0, file.size(), firstPart).get(30, TimeUnit.SECONDS);
            assertThat(firstPart.array()).isEqualTo(Arrays.copyOf(contents.get(0), 64 * 1024));

            objects.replace(file.location(), ObjectsInStore.content(512 * 1024, 99));

            CompletableFuture<Void> rest = window.read(file, 64 * 1024, file.size(), ByteBuffer.allocate(448 * 1024));
            assertFailsAsChanged(rest);
        } finally {
            window.close();
        }
    }

    @Test
    void read_notPlanned_readsTheSpanAsked() throws Exception {
        List<byte[]> contents = new ArrayList<>();
        List<SourceFile> files = put("unplanned", 1, 1024 * 1024, contents);
        SourceFile file = files.get(0);
        ReadAhead window = window(new ReadAhead.Limits(100_000, 4, 64 * 1024, 1024 * 1024));
        try {
            List<Span> fromTheMiddle = List.of(new Span(file, 123_456, file.size()));

            byte[] read = ObjectsInStore.readAll(window, fromTheMiddle, 50_000);

            assertThat(read).isEqualTo(Arrays.copyOfRange(contents.get(0), 123_456, contents.get(0).length));
        } finally {
            window.close();
        }
    }
}
