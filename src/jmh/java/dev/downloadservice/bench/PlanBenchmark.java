package dev.downloadservice.bench;

import dev.downloadservice.zip.ArchiveEntry;
import dev.downloadservice.zip.ArchivePlan;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The work done before the first byte of a 10,000-entry folder, and per header after.
 *
 * <p>Run: {@code ./mvnw -Pjmh test-compile exec:exec -Djmh.args="PlanBenchmark -f 1 -wi 3 -i 5"}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PlanBenchmark {

    private List<ArchiveEntry> entries;
    private ArchivePlan plan;
    private ArchivePlan.Part localHeader;
    private ArchivePlan.Part centralHeader;
    private final ByteBuffer header = ByteBuffer.allocateDirect(1024);
    private final SplittableRandom random = new SplittableRandom(1);

    @Setup
    public void listing() {
        entries = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            entries.add(ArchiveEntry.file(String.format("gallery/2026/IMG_%05d.jpg", i), 10_240 + i, 1_700_000_000_000L + i, 0644));
        }
        plan = ArchivePlan.of(entries);
        List<ArchivePlan.Part> parts = plan.parts();
        localHeader = parts.get(2 * 5_000);
        centralHeader = parts.get(2 * 10_000 + 5_000);
    }

    /** Layout of 10,000 entries: offsets, lengths, ZIP64 decisions. */
    @Benchmark
    public ArchivePlan plan10000Entries() {
        return ArchivePlan.of(entries);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public ByteBuffer encodeLocalHeader() {
        header.clear();
        plan.encode(localHeader, 0x1234_5678, header);
        return header;
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public ByteBuffer encodeCentralHeader() {
        header.clear();
        plan.encode(centralHeader, 0x1234_5678, header);
        return header;
    }

    /** Finding the part that holds a random byte: what a Range request costs before any I/O. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public ArchivePlan.Slice rangeLookup() {
        long at = random.nextLong(plan.length() - 1);
        Iterator<ArchivePlan.Slice> slices = plan.slices(at, at + 1);
        return slices.next();
    }
}
