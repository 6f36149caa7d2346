package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The two things that need ZIP64, each in an archive downloaded once that every reader
 * must open whole. An entry over 4 GiB (ZIP64 sizes) followed by one whose header starts
 * past 4 GiB (ZIP64 offset), behind a small first entry that must stay plain: the big
 * file is sparse, so it costs no disk; the downloaded archive does, and goes with the
 * @TempDir. And 70,000 entries: more than a classic end record can count, so the ZIP64
 * end record is needed.
 */
class Zip64IT {

    private static final long BIG = (4L << 30) + 4321;
    private static final int COUNT = 70_000;

    @TempDir
    static Path root;
    private static TestService.Downloaded large;
    private static TestService.Downloaded many;

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
        large = TestService.downloadOnce(root, "large");

        Path manyFolder = Files.createDirectory(root.resolve("many"));
        for (int i = 0; i < COUNT; i++) {
            Files.writeString(manyFolder.resolve(String.format("photo-%05d.txt", i)), Integer.toString(i));
        }
        many = TestService.downloadOnce(root, "many");
    }

    @ParameterizedTest
    @EnumSource(ZipReader.class)
    void entryOver4GiB_everyReader_readsItWhole(ZipReader reader) throws Exception {
        reader.check(large.zip(), large.expected());
    }

    @ParameterizedTest
    @EnumSource(ZipReader.class)
    void seventyThousandFiles_everyReader_findsAllEntries(ZipReader reader) throws Exception {
        assertThat(hasZip64EndLocator(many.zip())).isTrue();
        reader.check(many.zip(), many.expected());
    }

    private static boolean hasZip64EndLocator(Path zip) throws Exception {
        try (FileChannel channel = FileChannel.open(zip)) {
            ByteBuffer locator = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(locator, channel.size() - 22 - 20);
            return locator.getInt(0) == 0x07064b50;
        }
    }
}
