package dev.downloadservice.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.Listing;
import dev.downloadservice.source.local.LocalFolders;
import dev.downloadservice.testing.TestFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PreparedArchivesTest {

    @TempDir
    Path root;

    @BeforeEach
    void createFolder() throws Exception {
        Path folder = Files.createDirectory(root.resolve("gallery"));
        for (int i = 0; i < 10; i++) {
            Files.writeString(folder.resolve("photo" + i + ".jpg"), "bytes of photo " + i);
        }
    }

    @Test
    void of_sameListing_sharesOnePreparedArchive() throws Exception {
        List<PreparedArchive> twice = preparedTwice(1000);

        assertThat(twice.get(1)).isSameAs(twice.get(0));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"touched", "rewritten in place, old mtime put back"})
    void of_fileChangedSinceLastListing_preparesANewArchive(String how) throws Exception {
        try (LocalFolders folders = new LocalFolders(root, false, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, 1000, EntryNaming.PORTABLE);
            PreparedArchive before = archives.of(list(folders));

            Path photo = root.resolve("gallery/photo3.jpg");
            if (how.equals("touched")) {
                Files.setLastModifiedTime(photo, FileTime.fromMillis(1_000_000_000_000L));
            } else {
                TestFiles.rewriteKeepingMtime(photo, 0, "B".getBytes(StandardCharsets.US_ASCII)); // same size
            }
            PreparedArchive after = archives.of(list(folders));

            assertThat(after).isNotSameAs(before);
            assertThat(after.etag()).isNotEqualTo(before.etag());
            assertThat(archives.of(list(folders))).isSameAs(after);
        }
    }

    @Test
    void of_folderLargerThanTheBound_isPreparedEachTime() throws Exception {
        List<PreparedArchive> twice = preparedTwice(5);

        assertThat(twice.get(1)).isNotSameAs(twice.get(0));
        assertThat(twice.get(1).etag()).isEqualTo(twice.get(0).etag());
    }

    /** What archives bound to {@code maxEntries} give for two listings, one after the other, of the unchanged gallery. */
    private List<PreparedArchive> preparedTwice(int maxEntries) throws Exception {
        try (LocalFolders folders = new LocalFolders(root, false, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, maxEntries, EntryNaming.PORTABLE);
            return List.of(archives.of(list(folders)), archives.of(list(folders)));
        }
    }

    private static Listing list(LocalFolders folders) throws Exception {
        return folders.listNow("gallery").orElseThrow();
    }
}
