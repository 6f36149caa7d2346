package dev.downloadservice.source.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.FolderCount;
import dev.downloadservice.source.ListedNames;
import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What goes into an archive and what is left out (DESIGN.md "What goes in", "Order"). */
class LocalFoldersTest {

    @TempDir
    Path root;
    private Path folder;

    @BeforeEach
    void folder() throws IOException {
        folder = Files.createDirectory(root.resolve("abc"));
    }

    @Test
    void list_missingFolder_isEmpty() throws IOException {
        assertThat(folders(false).listNow("nope")).isEmpty();
    }

    @Test
    void list_nameOfAFile_isEmpty() throws IOException {
        Files.writeString(root.resolve("file"), "x");

        assertThat(folders(false).listNow("file")).isEmpty();
    }

    @Test
    void list_linkToFolderOutsideRoot_isEmpty(@TempDir Path outside) throws IOException {
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createSymbolicLink(root.resolve("escape"), outside);

        assertThat(folders(false).listNow("escape")).isEmpty();
    }

    @Test
    void list_linkToFolderInsideRoot_isListed() throws IOException {
        Files.writeString(folder.resolve("a.txt"), "a");
        Files.createSymbolicLink(root.resolve("alias"), folder);

        assertThat(names(folders(false).listNow("alias").orElseThrow())).containsExactly("a.txt");
    }

    @Test
    void list_nestedFolders_sortedByUtf8BytesWithDirectoryBeforeItsContents() throws IOException {
        for (String name : List.of("b.txt", "a b.txt", "a/z.txt", "a/b/c.txt", "a0.txt", "Z.txt", "é.txt", "写真.jpg")) {
            Path file = folder.resolve(name);
            Files.createDirectories(file.getParent());
            Files.writeString(file, name);
        }
        Files.createDirectories(folder.resolve("empty"));

        assertThat(names(folders(false).listNow("abc").orElseThrow())).containsExactly(
                "Z.txt", "a b.txt", "a/", "a/b/", "a/b/c.txt", "a/z.txt", "a0.txt", "b.txt", "empty/", "é.txt", "写真.jpg");
    }

    @Test
    void list_bigDirectory_examinedOnTwoThreadsGivesTheSameListing() throws Exception {
        for (int i = 0; i < FolderWalk.PARALLEL_STAT_THRESHOLD + 500; i++) {
            Files.writeString(folder.resolve("f" + i), Integer.toString(i));
        }
        java.util.concurrent.ExecutorService helper = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (LocalFolders sequential = folders(false);
             LocalFolders parallel = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, helper, Runnable::run)) {
            Listing one = sequential.listNow("abc").orElseThrow();
            Listing two = parallel.listNow("abc").orElseThrow();

            assertThat(two.files()).hasSize(FolderWalk.PARALLEL_STAT_THRESHOLD + 500).isEqualTo(one.files());
        } finally {
            helper.shutdownNow();
        }
    }

    /** The start-up count: what a link could list, by name; a file or a link out of the root is no folder. */
    @Test
    void countFolders_byName_foldersAndLinksToFoldersInsideTheRoot(@TempDir Path outside) throws Exception {
        Files.createDirectory(root.resolve("short"));
        Files.createDirectory(root.resolve("long-enough-name"));
        Files.createSymbolicLink(root.resolve("alias-long-enough"), folder);
        Files.createSymbolicLink(root.resolve("escape-out-of-the-root"), outside);
        Files.writeString(root.resolve("a-file-with-a-long-name"), "x");

        FolderCount count = folders(false).countFolders(name -> name.length() >= 16, 100).get().orElseThrow();

        assertThat(count).as("long-enough-name and alias-long-enough; abc and short")
                .isEqualTo(new FolderCount(2, 2, /* complete= */ true));
    }

    @Test
    void countFolders_moreEntriesThanTheBound_stopsThereIncomplete() throws Exception {
        for (int i = 0; i < 9; i++) {
            Files.createDirectory(root.resolve("folder-" + i));
        }

        FolderCount count = folders(false).countFolders(name -> true, 5).get().orElseThrow();

        assertThat(count).isEqualTo(new FolderCount(5, 0, /* complete= */ false));
    }

    @Test
    void list_files_carrySizeTimeAndPermissions() throws IOException {
        Path file = Files.writeString(folder.resolve("a.txt"), "hello");
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_123L));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-x---"));

        SourceFile listed = folders(false).listNow("abc").orElseThrow().files().get(0);

        assertThat(listed.size()).isEqualTo(5);
        assertThat(listed.mtimeMillis()).isEqualTo(1_700_000_000_123L);
        assertThat(listed.permissions()).isEqualTo(0750);
        assertThat(listed.fileKey()).isNotNull();
    }

    @Test
    void list_hiddenNames_leftOutUnlessIncluded() throws IOException {
        Files.writeString(folder.resolve(".DS_Store"), "x");
        Files.createDirectories(folder.resolve(".ftp/part"));
        Files.writeString(folder.resolve("shown.txt"), "x");

        assertThat(names(folders(false).listNow("abc").orElseThrow())).containsExactly("shown.txt");
        assertThat(names(folders(true).listNow("abc").orElseThrow()))
                .containsExactly(".DS_Store", ".ftp/", ".ftp/part/", "shown.txt");
    }

    @Test
    void list_backslashOrControlNames_listedOnlyForPortableNames_notUtf8Never() throws Exception {
        Files.writeString(folder.resolve("back\\slash.txt"), "x");
        Files.writeString(folder.resolve("tab\there.txt"), "x");
        Files.createDirectory(folder.resolve("bell\u0007"));
        Files.writeString(folder.resolve("bell\u0007/inside.txt"), "x");
        Files.writeString(folder.resolve("ok.txt"), "x");
        // A name that is not UTF-8 cannot be made from a Java string: let the shell make it.
        Process p = new ProcessBuilder("sh", "-c", "printf x > \"$(printf 'bad\\377name.txt')\"")
                .directory(folder.toFile()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        assertThat(folder.toFile().list()).hasSize(5);

        assertThat(names(folders(new ListedNames(/* hidden= */ false, /* backslashOrControl= */ false))
                .listNow("abc").orElseThrow())).containsExactly("ok.txt");
        assertThat(names(folders(false).listNow("abc").orElseThrow())).as("the one name is never listed: not UTF-8")
                .containsExactly("back\\slash.txt", "bell\u0007/", "bell\u0007/inside.txt", "ok.txt", "tab\there.txt");
    }

    @Test
    void list_links_followedOnlyInsideTheFolder(@TempDir Path outside) throws IOException {
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.writeString(root.resolve("sibling.txt"), "sibling");
        Files.writeString(folder.resolve("real.txt"), "real");
        Files.createDirectory(folder.resolve("dir"));
        Files.createSymbolicLink(folder.resolve("inside-link.txt"), folder.resolve("real.txt"));
        Files.createSymbolicLink(folder.resolve("inside-dir-link"), folder.resolve("dir"));
        Files.createSymbolicLink(folder.resolve("etc-link"), Path.of("/etc"));
        Files.createSymbolicLink(folder.resolve("outside-link.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(folder.resolve("sibling-link.txt"), Path.of("../sibling.txt"));
        Files.createSymbolicLink(folder.resolve("dangling"), folder.resolve("nothing"));
        Files.createSymbolicLink(folder.resolve("dir/loop"), folder);

        Map<String, SourceFile> listed = folders(false).listNow("abc").orElseThrow().files().stream()
                .collect(Collectors.toMap(SourceFile::name, f -> f));

        assertThat(listed.keySet()).containsExactlyInAnyOrder(
                "dir/", "inside-dir-link/", "inside-link.txt", "real.txt");
        assertThat(listed.get("inside-link.txt").size()).isEqualTo(4);
    }

    @Test
    void list_linkToAHiddenFile_leftOutUnlessHiddenIncluded() throws IOException {
        Files.writeString(folder.resolve(".upload.tmp"), "half uploaded");
        Files.createSymbolicLink(folder.resolve("visible.jpg"), folder.resolve(".upload.tmp"));

        assertThat(names(folders(false).listNow("abc").orElseThrow())).isEmpty();
        assertThat(names(folders(true).listNow("abc").orElseThrow())).containsExactly(".upload.tmp", "visible.jpg");
    }

    @Test
    void list_fifo_leftOutWithoutBlocking() throws Exception {
        Process p = new ProcessBuilder("mkfifo", folder.resolve("pipe").toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        Files.writeString(folder.resolve("ok.txt"), "x");

        assertThat(names(folders(false).listNow("abc").orElseThrow())).containsExactly("ok.txt");
    }

    @Test
    void openUnchanged_fileChangedSinceListing_failsWithWhatChanged() throws IOException {
        Path file = Files.writeString(folder.resolve("a.txt"), "hello");
        SourceFile listed = folders(false).listNow("abc").orElseThrow().files().get(0);
        Files.writeString(file, "hello, world");

        assertThatThrownBy(() -> folders(false).opener().openUnchanged(listed))
                .isInstanceOf(FileChangedException.class)
                .hasMessageContaining("a.txt changed: expected size 5");
    }

    @Test
    void openUnchanged_fileRemovedSinceListing_fails() throws IOException {
        Path file = Files.writeString(folder.resolve("a.txt"), "hello");
        SourceFile listed = folders(false).listNow("abc").orElseThrow().files().get(0);
        Files.delete(file);

        assertThatThrownBy(() -> folders(false).opener().openUnchanged(listed))
                .isInstanceOf(FileChangedException.class)
                .hasMessage("a.txt was removed");
    }

    @Test
    void openUnchanged_folderSwappedForLinkAfterListing_neverOpensTheOutsideFile(@TempDir Path outside) throws Exception {
        // The attack: a file inside with the size and time of a secret outside, then the folder swapped for a link.
        Path secret = Files.writeString(outside.resolve("secret.txt"), "TOP SECRET");
        Path decoy = Files.writeString(folder.resolve("secret.txt"), "0123456789");
        Files.setLastModifiedTime(decoy, Files.getLastModifiedTime(secret));
        LocalFolders folders = folders(false);
        SourceFile listed = folders.listNow("abc").orElseThrow().files().get(0);
        Files.move(folder, root.resolve("abc-old"));
        Files.createSymbolicLink(folder, outside);

        try (FileOpener opener = folders.opener()) {
            assertThatThrownBy(() -> opener.openUnchanged(listed)).isInstanceOf(FileChangedException.class);
        }
    }

    @Test
    void openUnchanged_fileSwappedForLinkAfterListing_neverOpensTheOutsideFile(@TempDir Path outside) throws Exception {
        Path secret = Files.writeString(outside.resolve("secret.txt"), "TOP SECRET");
        Path decoy = Files.writeString(folder.resolve("a.txt"), "0123456789");
        Files.setLastModifiedTime(decoy, Files.getLastModifiedTime(secret));
        LocalFolders folders = folders(false);
        SourceFile listed = folders.listNow("abc").orElseThrow().files().get(0);
        Files.delete(decoy);
        Files.createSymbolicLink(decoy, secret);

        try (FileOpener opener = folders.opener()) {
            assertThatThrownBy(() -> opener.openUnchanged(listed))
                    .isInstanceOf(FileChangedException.class).hasMessageContaining("a.txt was replaced");
        }
    }

    @Test
    void openUnchanged_fileReplacedBySameSizeAndTime_isAnotherFile() throws Exception {
        Path file = Files.writeString(folder.resolve("a.txt"), "0123456789");
        LocalFolders folders = folders(false);
        SourceFile listed = folders.listNow("abc").orElseThrow().files().get(0);
        Path replacement = Files.writeString(root.resolve("new.txt"), "9876543210");
        Files.setLastModifiedTime(replacement, Files.getLastModifiedTime(file));
        Files.move(replacement, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        try (FileOpener opener = folders.opener()) {
            assertThatThrownBy(() -> opener.openUnchanged(listed)).hasMessageContaining("(another file)");
        }
    }

    /**
     * Regression: the check after opening looked the name up again, so a file renamed in
     * for the open and out again before the check passed. It must look at the open file.
     */
    @Test
    void checkStillUnchanged_channelOfAnotherFileWithTheListedName_fails(@TempDir Path outside) throws Exception {
        Path secret = Files.writeString(outside.resolve("secret.txt"), "TOP SECRET");
        Path listedFile = Files.writeString(folder.resolve("a.txt"), "0123456789");
        Files.setLastModifiedTime(listedFile, Files.getLastModifiedTime(secret));
        LocalFolders folders = folders(false);
        SourceFile listed = folders.listNow("abc").orElseThrow().files().get(0);

        try (FileOpener opener = folders.opener();
             java.nio.channels.FileChannel other = java.nio.channels.FileChannel.open(secret)) {
            assertThatThrownBy(() -> opener.checkStillUnchanged(listed, other))
                    .isInstanceOf(FileChangedException.class).hasMessageContaining("(another file)");
        }
    }

    /** A listing nobody waits for any more stops within a few thousand names, not after a million. */
    @Test
    void listNow_abandonedMidway_stopsWithCancellation() throws Exception {
        for (int i = 0; i < 10_000; i++) {
            Files.createFile(folder.resolve("f" + i));
        }
        LocalFolders folders = folders(false);
        AtomicInteger looks = new AtomicInteger();

        assertThatThrownBy(() -> folders.listNow("abc", () -> looks.incrementAndGet() > 1))
                .isInstanceOf(CancellationException.class).hasMessageContaining("abandoned");
        assertThat(looks.get()).as("stopped at the second look (two threads stat a big directory)").isBetween(2, 3);
        assertThat(folders.listNow("abc", () -> false).orElseThrow().files()).hasSize(10_000);
    }

    /**
     * Size, inode and mtime as listed, only the ctime moved: an in-place write whose writer put
     * the mtime back, or a rename away (another file then under the name, which the check of the
     * open file's own inode does not see). Either is a change.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"rewritten in place, old mtime put back", "renamed away, another file under its name"})
    void checkStillUnchanged_openFileChangedButNotItsSizeOrMtime_fails(String how) throws Exception {
        Path listedFile = Files.writeString(folder.resolve("a.txt"), "0123456789");
        LocalFolders folders = folders(false);
        SourceFile listed = folders.listNow("abc").orElseThrow().files().get(0);

        try (FileOpener opener = folders.opener(); var channel = opener.openUnchanged(listed)) {
            if (how.startsWith("rewritten")) {
                TestFiles.rewriteKeepingMtime(listedFile, 3, new byte[] {'x'});
            } else {
                Files.move(listedFile, root.resolve("elsewhere.txt"));
                Files.writeString(listedFile, "9876543210");
            }

            assertThatThrownBy(() -> opener.checkStillUnchanged(listed, channel))
                    .isInstanceOf(FileChangedException.class).hasMessageContaining("a.txt changed")
                    .hasMessageContaining("ctime").hasMessageNotContaining("(another file)");
        }
    }

    @Test
    void openUnchanged_folderReplacedByAFile_isAChange() throws Exception {
        Files.createDirectories(folder.resolve("sub"));
        Files.writeString(folder.resolve("sub/a.txt"), "a");
        LocalFolders folders = folders(false);
        SourceFile listed = folders.listNow("abc").orElseThrow().files().get(1);
        Files.delete(folder.resolve("sub/a.txt"));
        Files.delete(folder.resolve("sub"));
        Files.writeString(folder.resolve("sub"), "now a file");

        try (FileOpener opener = folders.opener()) {
            assertThat(listed.name()).isEqualTo("sub/a.txt");
            assertThatThrownBy(() -> opener.openUnchanged(listed)).isInstanceOf(FileChangedException.class);
        }
    }

    @Test
    void openUnchanged_linkInsideTheFolder_opensItsTarget() throws Exception {
        Files.writeString(folder.resolve("real.txt"), "real");
        Files.createSymbolicLink(folder.resolve("alias.txt"), folder.resolve("real.txt"));
        LocalFolders folders = folders(false);
        SourceFile alias = folders.listNow("abc").orElseThrow().files().get(0);

        try (FileOpener opener = folders.opener(); var channel = opener.openUnchanged(alias)) {
            assertThat(alias.name()).isEqualTo("alias.txt");
            assertThat(channel.size()).isEqualTo(4);
        }
    }

    private LocalFolders folders(boolean includeHidden) throws IOException {
        return folders(new ListedNames(includeHidden, /* backslashOrControl= */ true));
    }

    private LocalFolders folders(ListedNames listed) throws IOException {
        return new LocalFolders(root, listed, Runnable::run, Runnable::run);
    }

    private static List<String> names(Listing listing) {
        return listing.files().stream().map(SourceFile::name).toList();
    }
}
