package dev.downloadservice.source.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Keys into entries, for what S3Proxy's file-backed store cannot hold (it keeps keys as
 * paths): "..", "//", a file and a directory of the same name.
 */
class ListingBuilderTest {

    private final ListingBuilder builder = new ListingBuilder("g", "photos/g/", false);

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
                "photos/g/a//b.jpg", "photos/g//abs.jpg", "photos/g/back\\slash.jpg", "photos/g/nul\u0000.jpg",
                "photos/g/.hidden.jpg", "photos/g/sub/.git/config"}) {
            add(key, 1, 1_000);
        }
        add("photos/g/ok.jpg", 1, 1_000);

        assertThat(builder.listing().orElseThrow().files()).extracting(SourceFile::name).containsExactly("ok.jpg");
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
        builder.add(S3Object.builder().key(key).size(size).lastModified(Instant.ofEpochMilli(mtimeMillis))
                .eTag("\"etag-" + key + "\"").build());
    }
}
