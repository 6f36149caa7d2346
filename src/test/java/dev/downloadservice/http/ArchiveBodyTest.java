package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.archive.EntryNaming;
import dev.downloadservice.archive.PreparedArchive;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.local.LocalFolders;
import dev.downloadservice.testing.TestFiles;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveBodyTest {

    @TempDir
    Path root;

    /** Regression: one batch of central headers asked the cache for every file's CRC at once. */
    @Test
    void next_rangeIntoColdCentralDirectory_queuesOnlyAFewCrcReads() throws Exception {
        for (int i = 0; i < 300; i++) {
            TestFiles.sparse(root.resolve("big/f" + i), ArchiveBody.SMALL_FILE + 1); // too big to get its CRC from a batch
        }
        List<Runnable> crcReads = new ArrayList<>();
        try (LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, crcReads::add)) {
            PreparedArchive archive = PreparedArchive.of(folders.listNow("big").orElseThrow(), EntryNaming.PORTABLE);
            ChecksumCache checksums = new ChecksumCache(folders, 1000);
            ArchiveBody body = new ArchiveBody(archive,
                    new ByteRange.Part(archive.plan().centralDirectoryOffset(), archive.plan().length()),
                    new ArchiveBody.Sources(folders.reads(), checksums, OptionalLong.empty()), UnpooledByteBufAllocator.DEFAULT, 0);

            body.next();

            assertThat(crcReads).hasSizeBetween(1, ArchiveBody.PARALLEL_TASKS * 2 * (EntryCrcs.PREFETCH + 1));
            body.close();
        }
    }
}
