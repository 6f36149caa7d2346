package dev.downloadservice.source;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
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
public final class FileOpener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FileOpener.class);

    private final Path root;
    private final SecureDirectoryStream<Path> rootDirectory;
    private final Map<String, SecureDirectoryStream<Path>> directories = new HashMap<>();

    FileOpener(Path root, SecureDirectoryStream<Path> rootDirectory) {
        this.root = root;
        this.rootDirectory = rootDirectory;
    }

    /**
     * Opens a listed file for reading, failing with {@link FileChangedException} if it is
     * no longer the version the listing saw (size, time or inode changed, it is gone, or a
     * link stands where a directory or the file was).
     */
    public FileChannel openUnchanged(SourceFile file) throws IOException {
        Location at = locate(file);
        SeekableByteChannel opened;
        try {
            opened = at.directory().newByteChannel(at.name(), Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            throw new FileChangedException(file.name() + " was removed");
        } catch (IOException e) {
            // ELOOP (a link where the file was) comes as a plain IOException.
            throw new FileChangedException(file.name() + " was replaced: " + e.getMessage());
        }
        FileChannel channel = (FileChannel) opened;
        try {
            check(file, channel.size(), at);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Fails if a file that was read is no longer the listed version (it changed while it was read). */
    public void checkStillUnchanged(SourceFile file) throws IOException {
        Location at = locate(file);
        check(file, -1, at);
    }

    private void check(SourceFile file, long openedSize, Location at) throws IOException {
        PosixFileAttributes now;
        try {
            now = at.directory().getFileAttributeView(at.name(), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
        } catch (NoSuchFileException e) {
            throw new FileChangedException(file.name() + " was removed");
        }
        long mtime = now.lastModifiedTime().toMillis();
        long size = openedSize >= 0 ? openedSize : now.size();
        if (size != file.size() || now.size() != file.size() || mtime != file.mtimeMillis()
                || !Objects.equals(now.fileKey(), file.fileKey())) {
            throw new FileChangedException(file.name() + " changed: expected size " + file.size() + " and mtime "
                    + file.mtimeMillis() + ", found size " + size + " and mtime " + mtime
                    + (Objects.equals(now.fileKey(), file.fileKey()) ? "" : " (another file)"));
        }
    }

    private record Location(SecureDirectoryStream<Path> directory, Path name) {
    }

    private Location locate(SourceFile file) throws IOException {
        String relative = file.location();
        int slash = relative.lastIndexOf('/');
        try {
            return new Location(directory(slash < 0 ? "" : relative.substring(0, slash)),
                    Path.of(relative.substring(slash + 1)));
        } catch (NoSuchFileException e) {
            throw new FileChangedException(file.name() + " was removed with its folder");
        } catch (IOException e) {
            throw new FileChangedException(file.name() + ": a folder on its way was replaced: " + e.getMessage());
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
