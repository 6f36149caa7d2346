package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.Reads.Span;
import dev.downloadservice.source.SourceFile;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Whatever the part size, the window's bounds and the consumer's chunks: the bytes of the objects, in order. */
class ReadAheadProperties {

    private static final int OBJECTS = 6;
    private static ObjectsInStore objects;
    private static final List<SourceFile> files = new ArrayList<>();
    private static final List<byte[]> contents = new ArrayList<>();

    @BeforeContainer
    static void start() throws Exception {
        objects = new ObjectsInStore();
        for (int i = 0; i < OBJECTS; i++) {
            byte[] content = ObjectsInStore.content(1 + 15_000 * i, i);
            contents.add(content);
            files.add(objects.put("o/" + i, content));
        }
    }

    @AfterContainer
    static void stop() throws Exception {
        objects.close();
    }

    @Property(tries = 20)
    void read_anyPartsWindowAndChunks_bytesInOrderIdenticalToTheObjects(
            @ForAll @IntRange(min = 8192, max = 70_000) int part,
            @ForAll @IntRange(min = 1, max = 8) int maxGets,
            @ForAll @IntRange(min = 1, max = 50_000) int minLead,
            @ForAll @IntRange(min = 0, max = 4) int leadDoublings,
            @ForAll @IntRange(min = 1, max = 40_000) int chunk,
            @ForAll @Size(min = 1, max = OBJECTS) List<@IntRange(min = 0, max = OBJECTS - 1) Integer> order,
            @ForAll @IntRange(min = 0, max = 20_000) int skip) throws Exception {
        // Some objects more than once, and from an offset: a range that starts inside a body.
        List<Span> spans = new ArrayList<>();
        List<byte[]> covered = new ArrayList<>();
        for (int i : order) {
            SourceFile file = files.get(i);
            long from = spans.isEmpty() ? Math.min(skip, file.size() - 1) : 0;
            spans.add(new Span(file, from, file.size()));
            covered.add(contents.get(i));
        }
        ReadAheadBudget budget = new ReadAheadBudget(1 << 20);
        ReadAhead window = new ReadAhead(objects.store, budget,
                new ReadAhead.Limits(part, maxGets, minLead, (long) minLead << leadDoublings));
        window.plan(spans);
        try {
            byte[] read = ObjectsInStore.readAll(window, spans, chunk);

            assertThat(read).isEqualTo(ObjectsInStore.expected(spans, covered));
        } finally {
            window.close();
        }
        assertThat(budget.heldBytes()).isZero();
        assertThat(budget.getsInFlight()).isZero();
    }
}
