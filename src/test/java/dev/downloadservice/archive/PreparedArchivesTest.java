package dev.downloadservice.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.source.local.LocalFolders;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.zip.ArchiveEntry;
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
        try (LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, Runnable::run)) {
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

    /** Kept by folder and selection: a selection never gets the whole folder's plan, nor another selection's. */
    @Test
    void prepare_selections_eachKeptApart_unchangedByAChangeOutsideThem() throws Exception {
        try (LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, 1000, EntryNaming.PORTABLE);
            Selection two = Selection.of(List.of("photo2.jpg", "photo1.jpg"));
            PreparedArchive selected = archives.prepare("gallery", two).join().orElseThrow();
            PreparedArchive whole = archives.prepare("gallery", Selection.WHOLE_FOLDER).join().orElseThrow();
            PreparedArchive other = archives.prepare("gallery", Selection.of(List.of("photo3.jpg"))).join().orElseThrow();

            assertThat(selected.listing().files()).extracting(f -> f.name()).containsExactly("photo1.jpg", "photo2.jpg");
            assertThat(List.of(selected.etag(), whole.etag(), other.etag())).doesNotHaveDuplicates();
            Files.setLastModifiedTime(root.resolve("gallery/photo7.jpg"), FileTime.fromMillis(1_000_000_000_000L));
            assertThat(archives.prepare("gallery", Selection.of(List.of("photo1.jpg", "photo2.jpg", "photo1.jpg")))
                    .join().orElseThrow()).isSameAs(selected);
            assertThat(archives.prepare("gallery", Selection.WHOLE_FOLDER).join().orElseThrow()).isNotSameAs(whole);
        }
    }

    @Test
    void of_folderLargerThanTheBound_isPreparedEachTime() throws Exception {
        List<PreparedArchive> twice = preparedTwice(5);

        assertThat(twice.get(1)).isNotSameAs(twice.get(0));
        assertThat(twice.get(1).etag()).isEqualTo(twice.get(0).etag());
    }

    /** Names renamed into another order: the plan follows its names, the listing its plan, the cache the listing. */
    @Test
    void of_namesThatSortElsewhereOncePortable_planInTheirOrderSharedByEqualListings() throws Exception {
        Path folder = Files.createDirectory(root.resolve("renamed"));
        Files.writeString(folder.resolve("a:b.jpg"), "colon"); // a_b.jpg: after a;b.jpg, where it was before it
        Files.writeString(folder.resolve("a;b.jpg"), "semicolon");
        try (LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, 1000, EntryNaming.PORTABLE);
            PreparedArchive archive = archives.of(folders.listNow("renamed").orElseThrow());

            assertThat(archive.plan().entries()).extracting(ArchiveEntry::name).containsExactly("a;b.jpg", "a_b.jpg");
            assertThat(archive.listing().files()).extracting(SourceFile::name).containsExactly("a;b.jpg", "a:b.jpg");
            assertThat(archives.of(folders.listNow("renamed").orElseThrow())).isSameAs(archive);
        }
    }

    /** Names are part of the archive's bytes: the tag changes with the rule where the rule renames, only there. */
    @Test
    void etag_differsBetweenNamingsExactlyWhereAnEntryIsRenamed() throws Exception {
        Files.writeString(root.resolve("gallery/Photo3.jpg"), "a second photo 3, but for case");
        try (LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, Runnable::run)) {
            Listing clashing = list(folders);
            Files.delete(root.resolve("gallery/Photo3.jpg"));
            Listing portable = list(folders);

            assertThat(PreparedArchive.of(clashing, EntryNaming.PORTABLE).etag())
                    .isNotEqualTo(PreparedArchive.of(clashing, EntryNaming.ORIGINAL).etag());
            assertThat(PreparedArchive.of(portable, EntryNaming.PORTABLE).etag())
                    .isEqualTo(PreparedArchive.of(portable, EntryNaming.ORIGINAL).etag());
            assertThat(PreparedArchive.of(portable, EntryNaming.PORTABLE).plan().entries())
                    .isEqualTo(PreparedArchive.of(portable, EntryNaming.ORIGINAL).plan().entries());
        }
    }

    /** What archives bound to {@code maxEntries} give for two listings, one after the other, of the unchanged gallery. */
    private List<PreparedArchive> preparedTwice(int maxEntries) throws Exception {
        try (LocalFolders folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, Runnable::run)) {
            PreparedArchives archives = new PreparedArchives(folders, Runnable::run, maxEntries, EntryNaming.PORTABLE);
            return List.of(archives.of(list(folders)), archives.of(list(folders)));
        }
    }

    private static Listing list(LocalFolders folders) throws Exception {
        return folders.listNow("gallery").orElseThrow();
    }
}
