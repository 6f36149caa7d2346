package dev.downloadservice.source.local;

import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.FileVersion;
import dev.downloadservice.source.ListedNames;
import dev.downloadservice.source.SourceFile;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listing of a local folder: walks it from the open folder down, keeping open only the
 * directories on the way, and decides what goes in. A link is followed only to a target
 * inside the folder, by its real path; hidden, unsafe and unreadable names, FIFOs and
 * devices are left out and logged; a folder too big fails the listing as a whole.
 */
final class FolderWalk {

    private static final Logger log = LoggerFactory.getLogger(LocalFolders.class); // the operator's one logger name

    /** Bounds the memory of one listing (about 200 bytes an entry) whatever a folder holds. */
    static final int MAX_ENTRIES = 1_000_000;
    /** A directory with this many entries has them examined on two threads: a stat each is most of a listing. */
    static final int PARALLEL_STAT_THRESHOLD = 2_000;
    /** How many names between two looks at whether the listing was abandoned. */
    private static final int CHECK_EVERY = 4096;

    private final LocalFolders folders;
    private final Path root;
    private final ListedNames listed;
    private final Path folder;
    private final String name;
    private final List<SourceFile> out;
    private final Set<Object> ancestors = new HashSet<>();
    /** Whether nobody waits for the listing any more: then it stops, between directories and every few thousand names. */
    private final BooleanSupplier abandoned;

    /**
     * @param folder the folder's real path relative to the root
     * @param name   the folder's name in the link
     * @param out    where the entries found go, in the order found
     */
    FolderWalk(LocalFolders folders, String folder, String name, List<SourceFile> out, BooleanSupplier abandoned) {
        this.abandoned = abandoned;
        this.folders = folders;
        this.root = folders.root();
        this.listed = folders.listed();
        this.folder = root.resolve(folder);
        this.name = name;
        this.out = out;
    }

    /** Adds every entry below the open folder, whose file key is {@code key}. */
    void walk(SecureDirectoryStream<Path> top, Object key) throws IOException {
        ancestors.add(key);
        directory(top, root.relativize(folder).toString(), "");
    }

    /**
     * Adds the entries of the open directory {@code dir}, whose real path relative to
     * the root is {@code real}, under {@code prefix}. Only the directories on the way
     * down stay open, so a wide tree cannot run the process out of descriptors.
     */
    void directory(SecureDirectoryStream<Path> dir, String real, String prefix) throws IOException {
        List<String> names = new ArrayList<>();
        try {
            for (Path entry : dir) {
                String fileName = entry.getFileName().toString();
                if (fileName.startsWith(".") && !listed.hidden()) {
                    log.debug("left out hidden {}", EntryNames.printable(prefix + fileName));
                    continue;
                }
                String leftOut = listed.whyLeftOut(fileName);
                if (leftOut != null) {
                    log.warn("left out {} of folder {}: {}",
                            EntryNames.printable(prefix + fileName), folderName(), leftOut);
                    continue;
                }
                names.add(fileName);
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        if (out.size() + names.size() > MAX_ENTRIES) {
            throw new TooManyEntriesException("expected at most " + MAX_ENTRIES + " entries in folder " + name
                    + ", found more");
        }
        List<Object> attributes = statAll(dir, names);
        for (int i = 0; i < names.size(); i++) {
            stopIfAbandoned(i);
            child(dir, names.get(i), real + "/" + names.get(i), prefix + names.get(i), attributes.get(i));
        }
    }

    /** Every {@link #CHECK_EVERY} names: a listing of a million entries nobody waits for stops within milliseconds. */
    private void stopIfAbandoned(int done) {
        if (done % CHECK_EVERY == 0 && abandoned.getAsBoolean()) {
            throw new CancellationException("listing of " + name + " abandoned: nobody waits for it");
        }
    }

    /**
     * @param parent   the open directory the entry is in
     * @param fileName its name there
     * @param stat     its attributes, not following a link, or the IOException reading them failed with
     */
    private void child(SecureDirectoryStream<Path> parent, String fileName, String real, String entryName,
                       Object stat) throws IOException {
        if (stat instanceof IOException e) {
            leaveOutOrRethrow(entryName, e);
            return;
        }
        PosixFileAttributes attrs = (PosixFileAttributes) stat;
        boolean linked = false;
        if (attrs.isSymbolicLink()) {
            try {
                // Where the link leads decides only whether and where to look; reaching it never follows a link.
                Path target = root.resolve(real).toRealPath();
                if (!target.startsWith(folder)) {
                    log.warn("left out {} of folder {}: a link to outside the folder",
                            EntryNames.printable(entryName), folderName());
                    return;
                }
                if (!listed.hidden() && folder.relativize(target).toString().matches("(.*/)?\\..*")) {
                    log.warn("left out {} of folder {}: a link to a hidden file or folder",
                            EntryNames.printable(entryName), folderName());
                    return;
                }
                real = root.relativize(target).toString();
                // An opener of its own: the directories on the way to a link's target are closed at once.
                try (FileOpener lookup = folders.opener()) {
                    attrs = attributes(lookup, real);
                }
                linked = true;
            } catch (IOException e) {
                leaveOutOrRethrow(entryName, e);
                return;
            }
        }
        int permissions = permissionBits(attrs.permissions());
        FileVersion version = folders.openFiles().version(attrs);
        if (attrs.isDirectory()) {
            if (!ancestors.add(attrs.fileKey())) {
                log.warn("left out {} of folder {}: a link loop", EntryNames.printable(entryName), folderName());
                return;
            }
            int mark = out.size();
            out.add(new SourceFile(entryName + "/", real, 0, permissions, version));
            // A linked folder is reached by its real path from the root; any other from its open parent.
            try (FileOpener lookup = folders.opener();
                 SecureDirectoryStream<Path> sub = linked
                         ? lookup.entries(real)
                         : parent.newDirectoryStream(Path.of(fileName), LinkOption.NOFOLLOW_LINKS)) {
                directory(sub, real, entryName + "/");
            } catch (TooManyEntriesException e) {
                throw e;
            } catch (IOException e) {
                out.subList(mark, out.size()).clear(); // left out whole: its own entry too, not an empty folder
                leaveOutOrRethrow(entryName + "/ and its contents", e);
            }
            ancestors.remove(attrs.fileKey());
        } else if (attrs.isRegularFile()) {
            // Read permission for everyone needs no access(2) call, which is a third of listing a big folder.
            boolean readableByAll = (permissions & 0444) == 0444;
            if (!readableByAll && !Files.isReadable(root.resolve(real))) {
                log.warn("left out {} of folder {}: not readable", EntryNames.printable(entryName), folderName());
                return;
            }
            out.add(new SourceFile(entryName, real, attrs.size(), permissions, version));
        } else {
            log.warn("left out {} of folder {}: not a regular file or directory",
                    EntryNames.printable(entryName), folderName());
        }
    }

    /**
     * The attributes of each name in a directory, not following links: an attributes
     * object or the IOException for each. A big directory is split in two and the
     * second half offered to the I/O executor; whichever thread is free first takes
     * it, so the listing never waits on a queue that is full of listings.
     */
    private List<Object> statAll(SecureDirectoryStream<Path> directory, List<String> names) {
        if (names.size() < PARALLEL_STAT_THRESHOLD) {
            return statRange(directory, names, 0, names.size());
        }
        int half = names.size() / 2;
        AtomicBoolean claimed = new AtomicBoolean();
        CompletableFuture<List<Object>> second = new CompletableFuture<>();
        Runnable secondHalf = () -> {
            if (claimed.compareAndSet(false, true)) {
                try {
                    second.complete(statRange(directory, names, half, names.size()));
                } catch (Throwable t) {
                    second.completeExceptionally(t); // never leave the listing thread waiting
                }
            }
        };
        try {
            folders.io().execute(secondHalf);
        } catch (RejectedExecutionException shuttingDown) {
            // Done below on this thread.
        }
        List<Object> attributes = statRange(directory, names, 0, half);
        secondHalf.run();
        attributes.addAll(second.join());
        return attributes;
    }

    private List<Object> statRange(SecureDirectoryStream<Path> directory, List<String> names, int from, int to) {
        List<Object> attributes = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            stopIfAbandoned(i - from);
            try {
                attributes.add(directory.getFileAttributeView(Path.of(names.get(i)), PosixFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS).readAttributes());
            } catch (IOException e) {
                attributes.add(e);
            }
        }
        return attributes;
    }

    /**
     * An entry that vanished, is forbidden or was replaced since the directory was read
     * is left out; any other error (no descriptors left, an I/O error) fails the listing,
     * which must never silently shorten an archive.
     */
    private void leaveOutOrRethrow(String entryName, IOException e) throws IOException {
        if (!(e instanceof AccessDeniedException || FolderChanges.isGone(e) || FolderChanges.isReplaced(e))) {
            throw e;
        }
        log.warn("left out {} of folder {}: {}", EntryNames.printable(entryName), folderName(), e.toString());
    }

    private String folderName() {
        return EntryNames.printable(name);
    }

    /** A folder too big to list: the listing fails as a whole, it is never cut short. */
    static final class TooManyEntriesException extends IOException {
        TooManyEntriesException(String message) {
            super(message);
        }
    }

    /** The attributes of the entry at a root-relative real path, not following a link there. */
    static PosixFileAttributes attributes(FileOpener opener, String real) throws IOException {
        int slash = real.lastIndexOf('/');
        return opener.directory(slash < 0 ? "" : real.substring(0, slash))
                .getFileAttributeView(Path.of(real.substring(slash + 1)), PosixFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS)
                .readAttributes();
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
