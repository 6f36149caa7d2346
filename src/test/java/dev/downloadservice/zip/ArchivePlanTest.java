package dev.downloadservice.zip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The format rules of DESIGN.md, checked on the bytes and through commons-compress. */
class ArchivePlanTest {

    private static final long MTIME = Instant.parse("2024-05-17T10:20:30Z").toEpochMilli();
    private static final int FAKE_CRC = 0x1234_5678;

    /** Entry bodies are zeros; their CRC is a made-up value, since only layouts are read here. */
    private static final PlanChannel.Contents ZEROS = new PlanChannel.Contents() {
        @Override
        public void read(int entry, long offset, byte[] into, int at, int length) {
            java.util.Arrays.fill(into, at, at + length, (byte) 0);
        }

        @Override
        public int crc(int entry) {
            return FAKE_CRC;
        }
    };

    @Test
    void length_emptyFolder_isOnlyTheEndRecord() {
        ArchivePlan plan = ArchivePlan.of(List.of());

        byte[] bytes = PlanChannel.render(plan, ZEROS, 0, plan.length());

        assertThat(plan.length()).isEqualTo(22);
        assertThat(u32(bytes, 0)).isEqualTo(ZipRecords.END_SIGNATURE);
        assertThat(java.util.Arrays.copyOfRange(bytes, 4, 22)).containsOnly(0);
    }

    @ParameterizedTest(name = "size {0}: ZIP64 {1}")
    @CsvSource({"4294967294, false", "4294967295, true", "4294967296, true"})
    void localHeader_sizeAtZip64Boundary_carriesBothSizesInZip64ExtraOnlyFromAllOnes(long size, boolean zip64)
            throws Exception {
        ArchivePlan plan = ArchivePlan.of(List.of(
                ArchiveEntry.file("first.txt", 1, MTIME, 0644),
                ArchiveEntry.file("big.bin", size, MTIME, 0644)));

        byte[] first = header(plan, 0);
        byte[] local = header(plan, 1);

        assertThat(extraIds(first, 30 + u16(first, 26), u16(first, 28))).containsExactly(0x5455);
        assertThat(extraIds(local, 30 + u16(local, 26), u16(local, 28)))
                .containsExactlyElementsOf(zip64 ? List.of(0x0001, 0x5455) : List.of(0x5455));
        assertThat(u32(local, 18) == -1 && u32(local, 22) == -1).isEqualTo(zip64);
        assertThat(u16(local, 4)).isEqualTo(zip64 ? 45 : 10);
        try (ZipFile zip = open(plan)) {
            ZipArchiveEntry entry = zip.getEntry("big.bin");
            assertThat(entry.getSize()).isEqualTo(size);
            assertThat(entry.getCompressedSize()).isEqualTo(size);
            assertThat(entry.getDataOffset()).isEqualTo(plan.localHeaderOffset(1) + local.length);
        }
    }

    @ParameterizedTest(name = "offset {0}: ZIP64 {1}")
    @CsvSource({"4294967294, false", "4294967295, true", "4294967296, true"})
    void centralHeader_localOffsetAtZip64Boundary_carriesOnlyTheOffsetInZip64Extra(long offset, boolean zip64)
            throws Exception {
        int firstHeader = EntryLayout.at(ArchiveEntry.file("filler.bin", 0, MTIME, 0644), 0).localHeaderLength();
        ArchivePlan plan = ArchivePlan.of(List.of(
                ArchiveEntry.file("filler.bin", offset - firstHeader, MTIME, 0644),
                ArchiveEntry.file("after.txt", 10, MTIME, 0644)));
        assertThat(plan.localHeaderOffset(1)).isEqualTo(offset);

        byte[] central = centralHeader(plan, 1);
        byte[] local = header(plan, 1);

        int extraStart = 46 + u16(central, 28);
        assertThat(extraIds(central, extraStart, u16(central, 30)))
                .containsExactlyElementsOf(zip64 ? List.of(0x0001, 0x5455) : List.of(0x5455));
        if (zip64) {
            assertThat(u16(central, extraStart + 2)).as("ZIP64 field holds only the offset").isEqualTo(8);
            assertThat(u32(central, 42)).isEqualTo(-1);
        }
        assertThat(extraIds(local, 30 + u16(local, 26), u16(local, 28))).containsExactly(0x5455);
        try (ZipFile zip = open(plan)) {
            assertThat(zip.getEntry("after.txt").getLocalHeaderOffset()).isEqualTo(offset);
            assertThat(zip.getEntry("after.txt").getSize()).isEqualTo(10);
        }
    }

    @ParameterizedTest(name = "{0} entries")
    @ValueSource(ints = {65_534, 65_535, 70_000})
    void endRecords_entryCountAtZip64Boundary_addZip64EndRecordFromAllOnes(int count, @TempDir Path dir)
            throws Exception {
        List<ArchiveEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(ArchiveEntry.file(String.format("f%05d", i), 0, MTIME, 0644));
        }
        ArchivePlan plan = ArchivePlan.of(entries);
        boolean zip64 = count >= 0xFFFF;

        byte[] tail = PlanChannel.render(plan, ZEROS, plan.length() - 22 - 20, plan.length());

        assertThat(u32(tail, 0) == ZipRecords.ZIP64_LOCATOR_SIGNATURE).isEqualTo(zip64);
        assertThat(plan.usesZip64()).isEqualTo(zip64);
        assertThat(u16(tail, 20 + 10)).isEqualTo(zip64 ? 0xFFFF : count);
        Path file = dir.resolve("many.zip");
        Files.write(file, PlanChannel.render(plan, ZEROS, 0, plan.length()));
        try (java.util.zip.ZipFile jdk = new java.util.zip.ZipFile(file.toFile())) {
            assertThat(jdk.size()).isEqualTo(count);
        }
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            assertThat(Collections.list(zip.getEntries())).hasSize(count);
        }
    }

    @ParameterizedTest(name = "central directory at {0}: ZIP64 {1}")
    @CsvSource({"4294967294, false", "4294967295, true", "4294967296, true"})
    void usesZip64_centralDirectoryOffsetAtBoundary_fromAllOnes(long offset, boolean zip64) {
        int header = EntryLayout.at(ArchiveEntry.file("big.bin", 0, MTIME, 0644), 0).localHeaderLength();
        ArchivePlan plan = ArchivePlan.of(List.of(ArchiveEntry.file("big.bin", offset - header, MTIME, 0644)));
        assertThat(plan.centralDirectoryOffset()).isEqualTo(offset);

        byte[] tail = PlanChannel.render(plan, ZEROS, plan.length() - 22 - 20, plan.length());

        assertThat(plan.usesZip64()).isEqualTo(zip64);
        assertThat(u32(tail, 0) == ZipRecords.ZIP64_LOCATOR_SIGNATURE).as("the ZIP64 end locator").isEqualTo(zip64);
    }

    @Test
    void headers_nonAsciiName_setUtf8FlagAndPlainNameDoesNot() {
        ArchivePlan plan = ArchivePlan.of(List.of(
                ArchiveEntry.file("photo.png", 1, MTIME, 0644),
                ArchiveEntry.file("Фото.png", 1, MTIME, 0644)));

        assertThat(u16(header(plan, 0), 6) & 0x800).isZero();
        assertThat(u16(header(plan, 1), 6) & 0x800).isEqualTo(0x800);
        assertThat(u16(centralHeader(plan, 1), 8) & 0x800).isEqualTo(0x800);
        assertThat(new String(header(plan, 1), 30, u16(header(plan, 1), 26), StandardCharsets.UTF_8)).isEqualTo("Фото.png");
    }

    @Test
    void centralHeader_directory_isUnixDirectoryWithDosFlagAndVersion20() {
        ArchivePlan plan = ArchivePlan.of(List.of(ArchiveEntry.directory("album", MTIME, 0755)));

        byte[] central = centralHeader(plan, 0);

        assertThat(u16(central, 4)).as("made by Unix, spec 6.3").isEqualTo(0x033F);
        assertThat(u16(central, 6)).isEqualTo(20);
        assertThat(u32(central, 38)).isEqualTo((0040755 << 16) | 0x10);
        assertThat(new String(central, 46, u16(central, 28), StandardCharsets.UTF_8)).isEqualTo("album/");
    }

    @ParameterizedTest(name = "mtime {0}: extended timestamp {1}")
    @CsvSource({"1970-01-01T00:00:00Z, true", "2038-01-19T03:14:07Z, true", "2038-01-19T03:14:08Z, false",
            "2200-01-01T00:00:00Z, false", "1969-12-31T23:59:59Z, false"})
    void headers_mtime_carryExtendedTimestampOnlyWhere32BitSecondsAgree(String mtime, boolean present) {
        long millis = Instant.parse(mtime).toEpochMilli();
        ArchivePlan plan = ArchivePlan.of(List.of(ArchiveEntry.file("a", 1, millis, 0644)));

        byte[] local = header(plan, 0);

        List<Integer> ids = extraIds(local, 30 + 1, u16(local, 28));
        assertThat(ids).isEqualTo(present ? List.of(0x5455) : List.of());
        if (present) {
            assertThat(u32(local, 30 + 1 + 5)).isEqualTo((int) (millis / 1000));
        }
    }

    @Test
    void entry_unsafeName_isRejected() {
        for (String name : List.of("/abs", "a/../b", "..", "a\\b", "./a", "")) {
            assertThatThrownBy(() -> ArchiveEntry.file(name, 0, MTIME, 0644))
                    .as(name).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected");
        }
    }

    @Test
    void encode_bodyPart_isRejectedWithClearMessage() {
        ArchivePlan plan = ArchivePlan.of(List.of(ArchiveEntry.file("a", 5, MTIME, 0644)));
        ArchivePlan.Part body = plan.parts().get(1);

        assertThatThrownBy(() -> plan.encode(body, 0, ByteBuffer.allocate(100)))
                .hasMessage("expected a header part, found the body of entry 0");
    }

    private static ZipFile open(ArchivePlan plan) throws java.io.IOException {
        return ZipFile.builder().setSeekableByteChannel(new PlanChannel(plan, ZEROS)).get();
    }

    private static byte[] header(ArchivePlan plan, int entry) {
        return part(plan, ArchivePlan.Kind.LOCAL_HEADER, entry);
    }

    private static byte[] centralHeader(ArchivePlan plan, int entry) {
        return part(plan, ArchivePlan.Kind.CENTRAL_HEADER, entry);
    }

    private static byte[] part(ArchivePlan plan, ArchivePlan.Kind kind, int entry) {
        ArchivePlan.Part part = plan.parts().stream()
                .filter(p -> p.kind() == kind && p.entry() == entry).findFirst().orElseThrow();
        return PlanChannel.render(plan, ZEROS, part.offset(), part.offset() + part.length());
    }

    /** The header ids of the extra fields in {@code bytes[start, start + length)}. */
    private static List<Integer> extraIds(byte[] bytes, int start, int length) {
        List<Integer> ids = new ArrayList<>();
        int at = start;
        while (at < start + length) {
            ids.add(u16(bytes, at));
            at += 4 + u16(bytes, at + 2);
        }
        assertThat(at).as("extra fields fill exactly their declared length").isEqualTo(start + length);
        return ids;
    }

    private static int u16(byte[] bytes, int at) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getShort(at) & 0xFFFF;
    }

    private static int u32(byte[] bytes, int at) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }
}
