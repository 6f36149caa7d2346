package dev.downloadservice.source.local;

import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.FileVersion;
import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens listed files below the root without following any link: every directory on the
 * way is opened relative to its parent's open descriptor ({@code openat}) with
 * {@code O_NOFOLLOW}, so a link swapped in after the listing cannot lead outside the
 * folder. Keeps the directories it opened until it is closed, so that many files of one
 * folder cost one {@code openat} each. One opener serves one thread at a time.
 */
final class FileOpener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FileOpener.class);

    private static final Set<OpenOption> READ_NO_LINKS = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);

    private final SecureDirectoryStream<Path> rootDirectory;
    private final OpenFiles openFiles;
    private final Map<String, SecureDirectoryStream<Path>> directories = new HashMap<>();

    FileOpener(SecureDirectoryStream<Path> rootDirectory, OpenFiles openFiles) {
        this.rootDirectory = rootDirectory;
        this.openFiles = openFiles;
    }

    /**
     * Opens a listed file for reading, failing with {@link FileChangedException} if it is
     * no longer the version the listing saw (size, time or inode of the opened file differ,
     * it is gone, or a link stands where a directory or the file was). For a file whose
     * bytes go out unseen (sendfile).
     */
    FileChannel openUnchanged(SourceFile file) throws IOException {
        FileChannel channel = openToRead(file);
        try {
            checkStillUnchanged(file, channel);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Opens a listed file (never through a link) without checking it: the caller reads
     * it and then calls {@link #checkStillUnchanged} before it uses a byte, which covers
     * both "it was another file" and "it changed while it was read" in one check.
     */
    FileChannel openToRead(SourceFile file) throws IOException {
        Location at = locate(file);
        try {
            return (FileChannel) at.directory().newByteChannel(at.name(), READ_NO_LINKS);
        } catch (IOException e) {
            throw changedOrRethrow(file, e);
        }
    }

    /**
     * Fails if the open file is not, or no longer, the listed version: call it after
     * reading too, so that bytes read while the file was rewritten are never sent.
     */
    void checkStillUnchanged(SourceFile file, FileChannel channel) throws IOException {
        PosixFileAttributes attributes = openFiles.attributes(channel);
        FileVersion now = openFiles.version(attributes);
        FileVersion listed = file.version();
        boolean sameFile = Objects.equals(now.key(), listed.key());
        if (!sameFile || attributes.size() != file.size() || !now.equals(listed)) {
            // ctime: a write that put the old mtime back (touch -r, rsync --inplace) still moved it.
            throw new FileChangedException(EntryNames.printable(file.name()) + " changed: expected size "
                    + file.size() + ", mtime " + listed.mtimeNanos() + " ns and ctime " + listed.ctimeNanos()
                    + " ns, found size "
                    + attributes.size() + ", mtime " + now.mtimeNanos() + " ns and ctime " + now.ctimeNanos() + " ns"
                    + (sameFile ? "" : " (another file)"));
        }
    }

    /**
     * A name that is gone, or a link or file where a directory was, means the folder
     * changed since the listing; anything else (no descriptors left, an I/O error) is
     * a failure of its own and is not disguised as a change.
     */
    private static IOException changedOrRethrow(SourceFile file, IOException e) {
        if (FolderChanges.isGone(e)) {
            return new FileChangedException(EntryNames.printable(file.name()) + " was removed");
        }
        if (FolderChanges.isReplaced(e)) {
            return new FileChangedException(EntryNames.printable(file.name() + " was replaced: " + e.getMessage()));
        }
        return e;
    }

    private record Location(SecureDirectoryStream<Path> directory, Path name) {
    }

    private Location locate(SourceFile file) throws IOException {
        String relative = file.location();
        int slash = relative.lastIndexOf('/');
        try {
            return new Location(directory(slash < 0 ? "" : relative.substring(0, slash)),
                    Path.of(relative.substring(slash + 1)));
        } catch (IOException e) {
            throw changedOrRethrow(file, e);
        }
    }

    /** The open directory at a path relative to the root (no "..", no links: it was a real path). */
    SecureDirectoryStream<Path> directory(String relative) throws IOException {
        if (relative.isEmpty()) {
            return rootDirectory;
        }
        SecureDirectoryStream<Path> open = directories.get(relative);
        if (open == null) {
            int slash = relative.lastIndexOf('/');
            SecureDirectoryStream<Path> parent = directory(slash < 0 ? "" : relative.substring(0, slash));
            open = parent.newDirectoryStream(Path.of(relative.substring(slash + 1)), LinkOption.NOFOLLOW_LINKS);
            directories.put(relative, open);
        }
        return open;
    }

    /** A fresh stream over a directory's entries (a stream's entries can be read once). */
    SecureDirectoryStream<Path> entries(String relative) throws IOException {
        if (relative.isEmpty()) {
            throw new IllegalArgumentException("expected a folder below the root, found the root");
        }
        int slash = relative.lastIndexOf('/');
        return directory(slash < 0 ? "" : relative.substring(0, slash))
                .newDirectoryStream(Path.of(relative.substring(slash + 1)), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void close() {
        for (SecureDirectoryStream<Path> directory : directories.values()) {
            try {
                directory.close();
            } catch (IOException e) {
                log.debug("closing a directory failed", e);
            }
        }
        directories.clear();
    }
}
