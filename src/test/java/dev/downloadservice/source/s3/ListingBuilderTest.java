package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.ListedNames;
import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.TestFiles;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Keys into entries, for what S3Proxy's file-backed store cannot hold (it keeps keys as
 * paths): "..", "//", a file and a directory of the same name.
 */
class ListingBuilderTest {

    private final ListingBuilder builder = new ListingBuilder("g", "photos/g/", TestFiles.LISTED_BY_DEFAULT);
    /** As --entry-names original lists. */
    private final ListingBuilder asTheyAre = new ListingBuilder("g", "photos/g/",
            new ListedNames(/* hidden= */ false, /* backslashOrControl= */ false));

    @Test
    void keysBelowTheFolder_filesAndTheDirectoriesBetween() {
        add("photos/g/b.jpg", 10, 2_000);
        add("photos/g/sub/deeper/c.jpg", 20, 5_000);
        add("photos/g/sub/a.jpg", 30, 3_000);
        add("photos/g/empty/", 0, 1_000);

        Listing listing = builder.listing().orElseThrow();

        assertThat(listing.files()).extracting(SourceFile::name)
                .containsExactly("b.jpg", "empty/", "sub/", "sub/a.jpg", "sub/deeper/", "sub/deeper/c.jpg");
        SourceFile b = listing.files().get(0);
        assertThat(b.location()).isEqualTo("photos/g/b.jpg");
        assertThat(b.fileKey()).isEqualTo("\"etag-photos/g/b.jpg\"");
        assertThat(b.permissions()).isEqualTo(0644);
        assertThat(listing.files().get(2).mtimeMillis()).as("a directory: its newest content").isEqualTo(5_000);
        assertThat(listing.files().get(2).permissions()).isEqualTo(0755);
    }

    @Test
    void unsafeAndHiddenKeys_leftOut() {
        for (String key : new String[] {"photos/g/../escape.jpg", "photos/g/sub/../../up.jpg", "photos/g/./dot.jpg",
                "photos/g/a//b.jpg", "photos/g//abs.jpg", "photos/g/.hidden.jpg", "photos/g/sub/.git/config",
                "photos/g/back\\slash/../../up.jpg"}) {
            add(key, 1, 1_000);
        }
        add("photos/g/ok.jpg", 1, 1_000);

        assertThat(builder.listing().orElseThrow().files()).extracting(SourceFile::name).containsExactly("ok.jpg");
    }

    @Test
    void backslashAndControlKeys_listedWithTheFoldersTheyMake_unlessNamesStayAsTheyAre() {
        try (LogCapture log = LogCapture.of(ListingBuilder.class)) {
            for (ListingBuilder each : List.of(builder, asTheyAre)) {
                add(each, "photos/g/ok.jpg", 1_000);
                add(each, "photos/g/dir\\photo.jpg", 2_000);
                add(each, "photos/g/bell\u0007/nul\u0000.jpg", 3_000);
                add(each, "photos/g/sub/tab\there.jpg", 4_000);
            }

            assertThat(builder.listing().orElseThrow().files()).extracting(SourceFile::name).containsExactly(
                    "bell\u0007/", "bell\u0007/nul\u0000.jpg", "dir\\photo.jpg", "ok.jpg", "sub/", "sub/tab\there.jpg");
            assertThat(asTheyAre.listing().orElseThrow().files()).extracting(SourceFile::name)
                    .containsExactly("ok.jpg");
            assertThat(log.messages()).as("only what is left out, escaped to one line").containsExactly(
                    "left out photos/g/dir\\\\photo.jpg: a backslash in the name",
                    "left out photos/g/bell\\x07/nul\\x00.jpg: a control character in the name",
                    "left out photos/g/sub/tab\\x09here.jpg: a control character in the name");
        }
    }

    /** Today's archives under --entry-names original: a key left out makes no folder, nor takes a file's place. */
    @Test
    void fileBesideKeysBelowItsNameThatAreLeftOut_fileKeptAsNamesStayAsTheyAre() {
        for (ListingBuilder each : List.of(builder, asTheyAre)) {
            add(each, "photos/g/a", 1_000);
            add(each, "photos/g/a/back\\slash.jpg", 2_000);
        }

        assertThat(builder.listing().orElseThrow().files()).extracting(SourceFile::name)
                .containsExactly("a/", "a/back\\slash.jpg");
        assertThat(asTheyAre.listing().orElseThrow().files()).extracting(SourceFile::name).containsExactly("a");
    }

    @Test
    void fileBesideADirectoryOfTheSameName_fileLeftOut() {
        add("photos/g/a", 1, 1_000);
        add("photos/g/a/b.jpg", 1, 1_000);

        assertThat(builder.listing().orElseThrow().files()).extracting(SourceFile::name).containsExactly("a/", "a/b.jpg");
    }

    @Test
    void onlyTheFolderMarker_anEmptyFolder() {
        add("photos/g/", 0, 7_000);

        Listing listing = builder.listing().orElseThrow();

        assertThat(listing.files()).isEmpty();
        assertThat(listing.folderMtimeMillis()).as("a marker's time does not change when a file goes")
                .isEqualTo(Listing.NO_FOLDER_TIME);
    }

    @Test
    void noKeys_noSuchFolder() {
        assertThat(builder.listing()).isEmpty();
    }

    private void add(String key, long size, long mtimeMillis) {
        add(builder, key, size, mtimeMillis);
    }

    private static void add(ListingBuilder to, String key, long mtimeMillis) {
        add(to, key, 1, mtimeMillis);
    }

    private static void add(ListingBuilder to, String key, long size, long mtimeMillis) {
        to.add(S3Object.builder().key(key).size(size).lastModified(Instant.ofEpochMilli(mtimeMillis))
                .eTag("\"etag-" + key + "\"").build());
    }
}
