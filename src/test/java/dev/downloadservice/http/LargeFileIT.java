package dev.downloadservice.http;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An entry over 4 GiB (ZIP64 sizes) followed by one whose header starts past 4 GiB
 * (ZIP64 offset), behind a small first entry that must stay plain. The big file is
 * sparse, so it costs no disk; the downloaded archive does, and is deleted after.
 */
class LargeFileIT {

    private static final long BIG = (4L << 30) + 4321;

    @TempDir
    static Path root;
    private static Path zip;
    private static List<ExpectedEntry> expected;

    @BeforeAll
    static void download() throws Exception {
        Path folder = Files.createDirectory(root.resolve("large"));
        Files.writeString(folder.resolve("a-before.txt"), "before");
        try (RandomAccessFile big = new RandomAccessFile(folder.resolve("b-big.bin").toFile(), "rw")) {
            big.setLength(BIG);
            // Bytes at both ends and across the 4 GiB line, so a reader that wraps at 32 bits gets a wrong CRC.
            for (long at : new long[] {0, (4L << 30) - 3, BIG - 5}) {
                big.seek(at);
                big.write(new byte[] {1, 2, 3, 4, 5});
            }
        }
        Files.writeString(folder.resolve("c-after.txt"), "after");
        expected = ExpectedEntry.fromFolder(folder);
        try (TestService service = TestService.start(root)) {
            zip = service.download("large", root.resolve("large.zip"));
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        Files.deleteIfExists(zip);
    }

    @ParameterizedTest
    @EnumSource(ZipReader.class)
    void entryOver4GiB_everyReader_readsItWhole(ZipReader reader) throws Exception {
        reader.check(zip, expected);
    }
}
