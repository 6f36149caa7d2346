package dev.downloadservice.zip;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.ZipReader;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.CRC32;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Random listings: the archive reads back as planned, and any split into ranges gives the same bytes. */
class ArchivePlanProperties {

    @Property(tries = 200)
    void archive_randomListing_readsBackIdenticallyWithCommonsCompressAndZipInputStream(
            @ForAll("listings") List<ArchiveEntry> entries) throws Exception {
        Contents contents = new Contents(entries);
        ArchivePlan plan = ArchivePlan.of(entries);

        byte[] archive = PlanChannel.render(plan, contents, 0, plan.length());

        // In listing order, each entry's bytes named by their length and CRC-32.
        List<ExpectedEntry> expected = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            expected.add(new ExpectedEntry(entries.get(i).name(), contents.bytes(i).length, crc(contents.bytes(i))));
        }
        Path zip = Files.write(Files.createTempFile("plan", ".zip"), archive); // jqwik has no @TempDir
        try {
            ZipReader.COMMONS_COMPRESS.check(zip, expected);
            ZipReader.JDK_ZIP_INPUT_STREAM.check(zip, expected);
        } finally {
            Files.delete(zip);
        }
    }

    @Property(tries = 300)
    void slices_anySplitIntoRanges_concatenateToTheWholeArchive(
            @ForAll("listings") List<ArchiveEntry> entries,
            @ForAll @Size(max = 12) List<@net.jqwik.api.constraints.DoubleRange(min = 0, max = 1) Double> cuts) {
        Contents contents = new Contents(entries);
        ArchivePlan plan = ArchivePlan.of(entries);
        byte[] whole = PlanChannel.render(plan, contents, 0, plan.length());
        TreeSet<Long> points = new TreeSet<>(List.of(0L, plan.length()));
        cuts.forEach(c -> points.add((long) (c * plan.length())));

        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        Long previous = null;
        for (long point : points) {
            if (previous != null) {
                joined.writeBytes(PlanChannel.render(plan, contents, previous, point));
            }
            previous = point;
        }

        assertThat(joined.toByteArray()).isEqualTo(whole);
    }

    @Property(tries = 300)
    void slices_range_areContiguousAndEachInsideItsPart(
            @ForAll("listings") List<ArchiveEntry> entries,
            @ForAll @net.jqwik.api.constraints.DoubleRange(min = 0, max = 1) double a,
            @ForAll @net.jqwik.api.constraints.DoubleRange(min = 0, max = 1) double b) {
        ArchivePlan plan = ArchivePlan.of(entries);
        long start = (long) (Math.min(a, b) * plan.length());
        long end = (long) (Math.max(a, b) * plan.length());

        long at = start;
        for (var it = plan.slices(start, end); it.hasNext(); ) {
            ArchivePlan.Slice slice = it.next();
            assertThat(slice.part().offset() + slice.skip()).isEqualTo(at);
            assertThat(slice.length()).isPositive();
            assertThat(slice.skip() + slice.length()).isLessThanOrEqualTo(slice.part().length());
            at += slice.length();
        }
        assertThat(at).isEqualTo(end);
    }

    @Provide
    Arbitrary<List<ArchiveEntry>> listings() {
        Arbitrary<String> segment = Arbitraries.strings()
                .withChars("abcxyz019 -_.")
                .withChars("éøФото写真")
                .ofMinLength(1).ofMaxLength(8)
                .filter(s -> !s.equals(".") && !s.equals(".."));
        Arbitrary<String> path = segment.list().ofMinSize(1).ofMaxSize(3).map(parts -> String.join("/", parts));
        Arbitrary<ArchiveEntry> entry = Combinators.combine(
                path,
                Arbitraries.longs().between(0, 3000),
                Arbitraries.longs().between(-1_000_000_000_000L, 8_000_000_000_000L),
                Arbitraries.integers().between(0, 0777),
                Arbitraries.integers().between(0, 5)
        ).as((name, size, mtime, mode, kind) -> kind == 0
                ? ArchiveEntry.directory(name, mtime, mode)
                : ArchiveEntry.file(name, size, mtime, mode));
        return entry.list().ofMaxSize(25).uniqueElements(ArchiveEntry::name);
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /** Deterministic pseudo-random content per entry. */
    private static final class Contents implements PlanChannel.Contents {
        private final List<byte[]> bytes = new ArrayList<>();

        Contents(List<ArchiveEntry> entries) {
            for (int i = 0; i < entries.size(); i++) {
                int size = (int) entries.get(i).size();
                bytes.add(TestFiles.randomBytes(size, i * 31L + size));
            }
        }

        byte[] bytes(int entry) {
            return bytes.get(entry);
        }

        @Override
        public void read(int entry, long offset, byte[] into, int at, int length) {
            System.arraycopy(bytes.get(entry), (int) offset, into, at, length);
        }

        @Override
        public int crc(int entry) {
            return (int) ArchivePlanProperties.crc(bytes.get(entry));
        }
    }
}
