package dev.downloadservice.source;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folders below a root directory on the local file system. Every method here blocks
 * on the file system: call them off the event loop.
 */
public final class LocalFolders {

    private static final Logger log = LoggerFactory.getLogger(LocalFolders.class);

    private final Path root;
    private final boolean includeHidden;

    /**
     * @param root a directory; resolved to its real path once, so a link swapped in later
     *             cannot move the root
     */
    public LocalFolders(Path root, boolean includeHidden) throws IOException {
        this.root = root.toRealPath();
        this.includeHidden = includeHidden;
    }

    public Path root() {
        return root;
    }

    /**
     * Lists the folder {@code root/name}, or returns empty if there is no such folder.
     *
     * @param name one path segment, already checked to be safe (no separator, not . or ..)
     */
    public Optional<Listing> list(String name) throws IOException {
        Path folder;
        try {
            folder = root.resolve(name).toRealPath();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        // A folder that is a link must still lie below the root: the link is the operator's, its target ours to check.
        if (!folder.startsWith(root) || folder.equals(root) || !Files.isDirectory(folder)) {
            return Optional.empty();
        }
        List<SourceFile> files = new ArrayList<>();
        walk(folder, folder, "", new HashSet<>(Set.of(folder)), files);
        return Optional.of(new Listing(name, Files.getLastModifiedTime(folder).toMillis(), inArchiveOrder(files)));
    }

    /**
     * The order of the archive: UTF-8 bytes of the full relative name, so "dir/" sorts
     * right before its contents. Each name is encoded once, not once per comparison.
     */
    private static List<SourceFile> inArchiveOrder(List<SourceFile> files) {
        record Keyed(byte[] key, SourceFile file) {
        }
        return files.stream()
                .map(f -> new Keyed(f.name().getBytes(StandardCharsets.UTF_8), f))
                .sorted((a, b) -> Arrays.compareUnsigned(a.key(), b.key()))
                .map(Keyed::file)
                .toList();
    }

    private void walk(Path top, Path dir, String prefix, Set<Path> ancestors, List<SourceFile> out) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                String fileName = child.getFileName().toString();
                if (fileName.startsWith(".") && !includeHidden) {
                    log.debug("left out hidden {}{}", prefix, fileName);
                    continue;
                }
                String unsafe = EntryNames.whyUnsafe(fileName);
                if (unsafe != null) {
                    log.warn("left out {}{}: {}", prefix, EntryNames.printable(fileName), unsafe);
                    continue;
                }
                addChild(top, child, prefix + fileName, ancestors, out);
            }
        }
    }

    private void addChild(Path top, Path child, String name, Set<Path> ancestors, List<SourceFile> out)
            throws IOException {
        PosixFileAttributes attrs;
        try {
            attrs = Files.readAttributes(child, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isSymbolicLink()) {
                Path target = child.toRealPath();
                if (!target.startsWith(top)) {
                    log.warn("left out {}: a link to outside the folder", EntryNames.printable(name));
                    return;
                }
                attrs = Files.readAttributes(target, PosixFileAttributes.class);
            }
        } catch (IOException e) {
            log.warn("left out {}: {}", EntryNames.printable(name), e.toString());
            return;
        }
        int permissions = permissionBits(attrs.permissions());
        long mtime = attrs.lastModifiedTime().toMillis();
        if (attrs.isDirectory()) {
            Path real = child.toRealPath();
            if (!ancestors.add(real)) {
                log.warn("left out {}: a link loop", EntryNames.printable(name));
                return;
            }
            out.add(new SourceFile(name + "/", child, 0, mtime, permissions, attrs.fileKey()));
            walk(top, child, name + "/", ancestors, out);
            ancestors.remove(real);
        } else if (attrs.isRegularFile()) {
            // A file anyone may read needs no access(2) call, which is a third of listing a big folder.
            boolean readableByAll = (permissions & 0004) != 0;
            if (!readableByAll && !Files.isReadable(child)) {
                log.warn("left out {}: not readable", EntryNames.printable(name));
                return;
            }
            out.add(new SourceFile(name, child, attrs.size(), mtime, permissions, attrs.fileKey()));
        } else {
            log.warn("left out {}: not a regular file or directory", EntryNames.printable(name));
        }
    }

    /**
     * Opens a listed file for reading, failing if it is no longer the version the
     * listing saw (size or modification time changed, or it is gone).
     */
    public static FileChannel openUnchanged(SourceFile file) throws IOException {
        PosixFileAttributes now;
        try {
            now = Files.readAttributes(file.path(), PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new FileChangedException(file.name() + " was removed");
        }
        checkUnchanged(file, now.size(), now.lastModifiedTime().toMillis());
        FileChannel channel = FileChannel.open(file.path(), StandardOpenOption.READ);
        try {
            checkUnchanged(file, channel.size(), file.mtimeMillis());
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** Fails if a file that was read or sent is no longer the listed version. */
    public static void checkStillUnchanged(SourceFile file) throws IOException {
        try {
            PosixFileAttributes now = Files.readAttributes(file.path(), PosixFileAttributes.class);
            checkUnchanged(file, now.size(), now.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            throw new FileChangedException(file.name() + " was removed");
        }
    }

    private static void checkUnchanged(SourceFile file, long size, long mtimeMillis) throws FileChangedException {
        if (size != file.size() || mtimeMillis != file.mtimeMillis()) {
            throw new FileChangedException(file.name() + " changed: expected size " + file.size()
                    + " and mtime " + file.mtimeMillis() + ", found size " + size + " and mtime " + mtimeMillis);
        }
    }

    private static int permissionBits(Set<PosixFilePermission> permissions) {
        int bits = 0;
        for (PosixFilePermission p : permissions) {
            // The enum runs OWNER_READ .. OTHERS_EXECUTE, i.e. from bit 8 down to bit 0.
            bits |= 1 << (8 - p.ordinal());
        }
        return bits;
    }
}
