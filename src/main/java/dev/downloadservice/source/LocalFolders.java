package dev.downloadservice.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folders below a root directory on the local file system. The methods of {@link Folders}
 * run their work on the executors given; the others block on the file system.
 *
 * <p>The root is opened once; every folder, subfolder and file below it is reached
 * from that open directory without following links ({@link FileOpener}). A link inside
 * a folder is followed only to a target inside the same folder, and then by its real
 * path, again without following links, so no byte from outside a folder can get into
 * its archive even if links are swapped in while it downloads.
 */
public final class LocalFolders implements Folders {

    private static final Logger log = LoggerFactory.getLogger(LocalFolders.class);

    /** Bounds the memory of one listing (about 200 bytes an entry) whatever a folder holds. */
    static final int MAX_ENTRIES = 1_000_000;
    /** A directory with this many entries has them examined on two threads: a stat each is most of a listing. */
    static final int PARALLEL_STAT_THRESHOLD = 2_000;

    private final Path root;
    private final SecureDirectoryStream<Path> rootDirectory;
    private final boolean includeHidden;
    private final Executor io;
    private final Executor crcIo;
    private final OpenFiles openFiles;
    private final LongAdder bytesReadForCrc = new LongAdder();

    /**
     * @param root   a directory; resolved to its real path and opened once, so a link
     *               swapped in later cannot move the root
     * @param io     where listings and reads run; may also take half of the work of listing a big directory
     * @param crcIo  where whole files are read for their CRC-32: a pool of its own, so that long reads
     *               of big files never hold up listings and small-file reads
     */
    public LocalFolders(Path root, boolean includeHidden, Executor io, Executor crcIo) throws IOException {
        this.root = root.toRealPath();
        DirectoryStream<Path> directory = Files.newDirectoryStream(this.root);
        if (!(directory instanceof SecureDirectoryStream<Path> secure)) {
            directory.close();
            throw new IOException("expected a file system that opens files relative to a directory (openat),"
                    + " found none for " + this.root + ": links could not be checked safely");
        }
        this.rootDirectory = secure;
        this.includeHidden = includeHidden;
        this.io = io;
        this.crcIo = crcIo;
        this.openFiles = findOpenFiles();
    }

    /** Checks once, at start-up, that open files can be checked by descriptor. */
    private static OpenFiles findOpenFiles() throws IOException {
        Path probe = Files.createTempFile("download-service", ".probe");
        try (FileChannel channel = FileChannel.open(probe)) {
            OpenFiles openFiles = OpenFiles.find(channel);
            Object expected = Files.readAttributes(probe, PosixFileAttributes.class).fileKey();
            Object found = openFiles.attributes(channel).fileKey();
            if (!expected.equals(found)) {
                throw new IOException("expected the descriptor check to find " + expected + ", found " + found);
            }
            return openFiles;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** Opens listed files; close it when done. One opener serves one thread at a time. */
    public FileOpener opener() {
        return new FileOpener(rootDirectory, openFiles);
    }

    @Override
    public CompletableFuture<Optional<Listing>> list(String name) {
        return onPool(() -> listNow(name), io);
    }

    @Override
    public CompletableFuture<Integer> computeCrc32(SourceFile file) {
        return onPool(() -> crc32Now(file), crcIo);
    }

    /** Work on the file system, as it may throw. */
    private interface FileWork<T> {
        T run() throws IOException;
    }

    private static <T> CompletableFuture<T> onPool(FileWork<T> work, Executor pool) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, pool);
    }

    @Override
    public long bytesReadForCrc() {
        return bytesReadForCrc.sum();
    }

    @Override
    public Reads reads() {
        return new LocalReads(this, io);
    }

    /** Direct buffers let CRC32 use its intrinsic; one per thread, reused. */
    private static final ThreadLocal<ByteBuffer> CRC_BUFFERS = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(256 * 1024));

    private int crc32Now(SourceFile file) throws IOException {
        CRC32 crc = new CRC32();
        ByteBuffer buffer = CRC_BUFFERS.get();
        long total = 0;
        try (FileOpener opener = opener(); FileChannel channel = opener.openToRead(file)) {
            while (total < file.size()) {
                buffer.clear();
                int n = channel.read(buffer, total);
                if (n < 0) {
                    break;
                }
                buffer.flip();
                crc.update(buffer);
                total += n;
            }
            bytesReadForCrc.add(total);
            // A file written while it was read has a new mtime (or size): the CRC would be of neither version.
            opener.checkStillUnchanged(file, channel);
            if (total != file.size()) {
                throw new FileChangedException(file.name() + " changed: expected " + file.size()
                        + " bytes, read " + total);
            }
        }
        return (int) crc.getValue();
    }

    /**
     * Lists the folder {@code root/name} on this thread, or returns empty if there is no such folder.
     *
     * @param name one path segment, already checked to be safe (no separator, not . or ..)
     */
    public Optional<Listing> listNow(String name) throws IOException {
        Optional<Path> found = realFolder(name);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        String folder = root.relativize(found.get()).toString();
        List<SourceFile> files = new ArrayList<>();
        try (FileOpener opener = opener()) {
            PosixFileAttributes attrs = attributes(opener, folder);
            if (!attrs.isDirectory()) {
                return Optional.empty();
            }
            Walk walk = new Walk(folder, name, files);
            walk.ancestors.add(attrs.fileKey());
            try (SecureDirectoryStream<Path> top = opener.entries(folder)) {
                walk.directory(top, folder, "");
            }
            return Optional.of(new Listing(name, attrs.lastModifiedTime().toMillis(), Listing.inArchiveOrder(files)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The folder's real path if it is a directory strictly below the root (a link to one counts). */
    private Optional<Path> realFolder(String name) throws IOException {
        try {
            Path real = root.resolve(name).toRealPath();
            return real.startsWith(root) && !real.equals(root) ? Optional.of(real) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** One listing: the folder it lists, what it found, the directories it is inside of. */
    private final class Walk {
        private final Path folder;
        private final String name;
        private final List<SourceFile> out;
        private final Set<Object> ancestors = new HashSet<>();

        Walk(String folder, String name, List<SourceFile> out) {
            this.folder = root.resolve(folder);
            this.name = name;
            this.out = out;
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
                    if (fileName.startsWith(".") && !includeHidden) {
                        log.debug("left out hidden {}{}", prefix, fileName);
                        continue;
                    }
                    String unsafe = EntryNames.whyUnsafe(fileName);
                    if (unsafe != null) {
                        log.warn("left out {}{}: {}", prefix, EntryNames.printable(fileName), unsafe);
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
                child(dir, names.get(i), real + "/" + names.get(i), prefix + names.get(i), attributes.get(i));
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
                        log.warn("left out {}: a link to outside the folder", EntryNames.printable(entryName));
                        return;
                    }
                    if (!includeHidden && folder.relativize(target).toString().matches("(.*/)?\\..*")) {
                        log.warn("left out {}: a link to a hidden file or folder", EntryNames.printable(entryName));
                        return;
                    }
                    real = root.relativize(target).toString();
                    // An opener of its own: the directories on the way to a link's target are closed at once.
                    try (FileOpener lookup = opener()) {
                        attrs = attributes(lookup, real);
                    }
                    linked = true;
                } catch (IOException e) {
                    leaveOutOrRethrow(entryName, e);
                    return;
                }
            }
            int permissions = permissionBits(attrs.permissions());
            long mtime = attrs.lastModifiedTime().toMillis();
            if (attrs.isDirectory()) {
                if (!ancestors.add(attrs.fileKey())) {
                    log.warn("left out {}: a link loop", EntryNames.printable(entryName));
                    return;
                }
                out.add(new SourceFile(entryName + "/", real, 0, mtime, permissions, attrs.fileKey()));
                // A linked folder is reached by its real path from the root; any other from its open parent.
                try (FileOpener lookup = opener();
                     SecureDirectoryStream<Path> sub = linked
                             ? lookup.entries(real)
                             : parent.newDirectoryStream(Path.of(fileName), LinkOption.NOFOLLOW_LINKS)) {
                    directory(sub, real, entryName + "/");
                } catch (TooManyEntriesException e) {
                    throw e;
                } catch (IOException e) {
                    leaveOutOrRethrow(entryName + "/ and its contents", e);
                }
                ancestors.remove(attrs.fileKey());
            } else if (attrs.isRegularFile()) {
                // Read permission for everyone needs no access(2) call, which is a third of listing a big folder.
                boolean readableByAll = (permissions & 0444) == 0444;
                if (!readableByAll && !Files.isReadable(root.resolve(real))) {
                    log.warn("left out {}: not readable", EntryNames.printable(entryName));
                    return;
                }
                out.add(new SourceFile(entryName, real, attrs.size(), mtime, permissions, attrs.fileKey()));
            } else {
                log.warn("left out {}: not a regular file or directory", EntryNames.printable(entryName));
            }
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
            io.execute(secondHalf);
        } catch (RejectedExecutionException shuttingDown) {
            // Done below on this thread.
        }
        List<Object> attributes = statRange(directory, names, 0, half);
        secondHalf.run();
        attributes.addAll(second.join());
        return attributes;
    }

    private static List<Object> statRange(SecureDirectoryStream<Path> directory, List<String> names, int from, int to) {
        List<Object> attributes = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
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
    private static void leaveOutOrRethrow(String entryName, IOException e) throws IOException {
        if (!(e instanceof AccessDeniedException || FolderChanges.isGone(e) || FolderChanges.isReplaced(e))) {
            throw e;
        }
        log.warn("left out {}: {}", EntryNames.printable(entryName), e.toString());
    }

    /** A folder too big to list: the listing fails as a whole, it is never cut short. */
    static final class TooManyEntriesException extends IOException {
        TooManyEntriesException(String message) {
            super(message);
        }
    }

    /** The attributes of the entry at a root-relative real path, not following a link there. */
    private static PosixFileAttributes attributes(FileOpener opener, String real) throws IOException {
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

    @Override
    public void close() throws IOException {
        rootDirectory.close();
    }
}
