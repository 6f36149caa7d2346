package dev.downloadservice.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.junit.jupiter.api.Test;

class FolderChangesTest {

    @Test
    void isReplaced_linkOrNotADirectory_true() {
        assertThat(FolderChanges.isReplaced(new IOException("Too many levels of symbolic links (NOFOLLOW_LINKS specified)")))
                .isTrue();
        assertThat(FolderChanges.isReplaced(new FileSystemException("a/b", null, "Not a directory"))).isTrue();
        assertThat(FolderChanges.isReplaced(new NotDirectoryException("sub"))).isTrue();
    }

    /** Regression: the message holds the path, which a folder's owner chooses. */
    @Test
    void isReplaced_otherErrorOnAPathThatReadsLikeOne_false() {
        FileSystemException outOfDescriptors =
                new FileSystemException("abc/symbolic links/Not a directory.txt", null, "Too many open files");

        assertThat(FolderChanges.isReplaced(outOfDescriptors)).isFalse();
        assertThat(FolderChanges.isGone(outOfDescriptors)).isFalse();
        assertThat(FolderChanges.isGone(new NoSuchFileException("x"))).isTrue();
    }
}
