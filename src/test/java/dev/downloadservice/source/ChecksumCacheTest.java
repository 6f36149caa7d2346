package dev.downloadservice.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.downloadservice.source.local.LocalFolders;
import dev.downloadservice.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumCacheTest {

    @TempDir
    Path root;
    private final ExecutorService io = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    @Test
    void crc32_sameVersionTwice_readsTheFileOnce() throws Exception {
        byte[] bytes = TestFiles.randomBytes(700_000, 1);
        Files.createDirectory(root.resolve("f"));
        Files.write(root.resolve("f/a.bin"), bytes);
        LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, io);
        SourceFile file = folders.listNow("f").orElseThrow().files().get(0);
        ChecksumCache cache = new ChecksumCache(folders, 10);

        int first = cache.crc32(file).get();
        int second = cache.crc32(file).get();

        CRC32 expected = new CRC32();
        expected.update(bytes);
        assertThat(first).isEqualTo(second).isEqualTo((int) expected.getValue());
        assertThat(cache.misses()).isEqualTo(1);
        assertThat(cache.hits()).isEqualTo(1);
        assertThat(cache.bytesRead()).isEqualTo(bytes.length);
    }

    /** Size, inode and mtime as before, only the ctime moved: the cache must not give the old CRC. */
    @Test
    void crc32_fileRewrittenInPlaceWithItsOldMtime_newListingGetsTheNewCrc() throws Exception {
        byte[] bytes = TestFiles.randomBytes(300_000, 2);
        Path path = TestFiles.random(root.resolve("f/a.bin"), bytes.length, 2);
        LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, io);
        ChecksumCache cache = new ChecksumCache(folders, 10);
        int before = cache.crc32(folders.listNow("f").orElseThrow().files().get(0)).get();

        TestFiles.rewriteKeepingMtime(path, 1000, new byte[] {(byte) ~bytes[1000]});
        int after = cache.crc32(folders.listNow("f").orElseThrow().files().get(0)).get();

        bytes[1000] = (byte) ~bytes[1000];
        CRC32 expected = new CRC32();
        expected.update(bytes);
        assertThat(after).isNotEqualTo(before).isEqualTo((int) expected.getValue());
        assertThat(cache.misses()).isEqualTo(2);
    }

    @Test
    void crc32_fileChangedAfterListing_failsAndIsNotCached() throws Exception {
        Files.createDirectory(root.resolve("f"));
        Path path = Files.writeString(root.resolve("f/a.txt"), "hello");
        LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, io);
        SourceFile file = folders.listNow("f").orElseThrow().files().get(0);
        ChecksumCache cache = new ChecksumCache(folders, 10);
        Files.writeString(path, "hello again");

        assertThatThrownBy(() -> cache.crc32(file).join())
                .isInstanceOf(CompletionException.class)
                .rootCause().isInstanceOf(FileChangedException.class);
        assertThatThrownBy(() -> cache.crc32(file).join()).isInstanceOf(CompletionException.class);
        assertThat(cache.misses()).isEqualTo(2);
    }
}
