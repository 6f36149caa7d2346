package dev.downloadservice.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.Listing;
import dev.downloadservice.source.local.LocalFolders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        try (LocalFolders folders = new LocalFolders(root, false, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, 1000);

            PreparedArchive first = archives.of(list(folders));
            PreparedArchive second = archives.of(list(folders));

            assertThat(second).isSameAs(first);
        }
    }

    @Test
    void of_fileChangedSinceLastListing_preparesANewArchive() throws Exception {
        try (LocalFolders folders = new LocalFolders(root, false, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, 1000);
            PreparedArchive before = archives.of(list(folders));

            Files.setLastModifiedTime(root.resolve("gallery/photo3.jpg"), FileTime.fromMillis(1_000_000_000_000L));
            PreparedArchive after = archives.of(list(folders));

            assertThat(after).isNotSameAs(before);
            assertThat(after.etag()).isNotEqualTo(before.etag());
            assertThat(archives.of(list(folders))).isSameAs(after);
        }
    }

    @Test
    void of_folderLargerThanTheBound_isPreparedEachTime() throws Exception {
        try (LocalFolders folders = new LocalFolders(root, false, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, 5);

            PreparedArchive first = archives.of(list(folders));
            PreparedArchive second = archives.of(list(folders));

            assertThat(second).isNotSameAs(first);
            assertThat(second.etag()).isEqualTo(first.etag());
        }
    }

    private static Listing list(LocalFolders folders) throws Exception {
        return folders.listNow("gallery").orElseThrow();
    }
}
