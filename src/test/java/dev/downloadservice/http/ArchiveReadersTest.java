package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Archives downloaded over HTTP from the real server, opened by every independent reader. */
class ArchiveReadersTest {

    @TempDir
    static Path root;
    @TempDir
    static Path downloads;
    private static TestService service;
    private static Path mixedZip;
    private static Path emptyZip;

    @BeforeAll
    static void downloadArchives() throws Exception {
        Path mixed = Files.createDirectory(root.resolve("mixed"));
        Files.createFile(mixed.resolve("empty.txt"));
        write(mixed.resolve("photo 1.jpg"), 100_000);
        write(mixed.resolve("big photo.jpg"), 3_000_000);
        write(mixed.resolve("nested/deeper/deepest/file.bin"), 3_000);
        Files.createDirectories(mixed.resolve("empty dir"));
        write(mixed.resolve("caf\u00e9-nfc.txt"), 10);
        write(mixed.resolve("cafe\u0301-nfd.txt"), 11);
        write(mixed.resolve("Фото на пляже.jpg"), 5_000);
        write(mixed.resolve("写真/夏.png"), 6_000);
        Files.setLastModifiedTime(write(mixed.resolve("from-1970.txt"), 5), FileTime.fromMillis(0));
        Files.setLastModifiedTime(write(mixed.resolve("from-2200.txt"), 5),
                FileTime.from(Instant.parse("2200-01-01T00:00:00Z")));
        Files.createDirectory(root.resolve("empty"));

        service = TestService.start(root);
        mixedZip = service.download("mixed", downloads.resolve("mixed.zip"));
        emptyZip = service.download("empty", downloads.resolve("empty.zip"));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @ParameterizedTest
    @EnumSource(ZipReader.class)
    void mixedFolder_everyReader_findsEveryEntryWithItsBytes(ZipReader reader) throws Exception {
        reader.check(mixedZip, ExpectedEntry.fromFolder(root.resolve("mixed")));
    }

    @ParameterizedTest
    @EnumSource(ZipReader.class)
    void emptyFolder_everyReader_opensAnEmptyArchive(ZipReader reader) throws Exception {
        assertThat(Files.size(emptyZip)).isEqualTo(22);
        reader.check(emptyZip, List.of());
    }

    @Test
    void times_outsideDosRange_clampedInDosFieldsAndExactInExtendedTimestamp() throws Exception {
        try (ZipFile zip = new ZipFile(mixedZip.toFile())) {
            ZipEntry old = zip.getEntry("from-1970.txt");
            ZipEntry future = zip.getEntry("from-2200.txt");

            assertThat(old.getLastModifiedTime().toMillis()).as("from the extended timestamp").isZero();
            assertThat(future.getTimeLocal()).as("DOS time, clamped").isEqualTo(LocalDateTime.of(2107, 12, 31, 23, 59, 58));
        }
    }

    private static Path write(Path file, int size) throws Exception {
        return TestFiles.random(file, size, size);
    }
}
