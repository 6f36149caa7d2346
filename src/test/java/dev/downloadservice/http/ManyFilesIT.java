package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** 70,000 entries: more than a classic end record can count, so the ZIP64 end record is needed. */
class ManyFilesIT {

    private static final int COUNT = 70_000;

    @TempDir
    static Path root;
    private static Path zip;
    private static List<ExpectedEntry> expected;

    @BeforeAll
    static void download() throws Exception {
        Path folder = Files.createDirectory(root.resolve("many"));
        for (int i = 0; i < COUNT; i++) {
            Files.writeString(folder.resolve(String.format("photo-%05d.txt", i)), Integer.toString(i));
        }
        expected = ExpectedEntry.fromFolder(folder);
        try (TestService service = TestService.start(root)) {
            zip = service.download("many", root.resolve("many.zip"));
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        Files.deleteIfExists(zip);
    }

    @ParameterizedTest
    @EnumSource(ZipReader.class)
    void seventyThousandFiles_everyReader_findsAllEntries(ZipReader reader) throws Exception {
        assertThat(hasZip64EndLocator(zip)).isTrue();
        reader.check(zip, expected);
    }

    private static boolean hasZip64EndLocator(Path zip) throws Exception {
        try (FileChannel channel = FileChannel.open(zip)) {
            ByteBuffer locator = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(locator, channel.size() - 22 - 20);
            return locator.getInt(0) == 0x07064b50;
        }
    }
}
