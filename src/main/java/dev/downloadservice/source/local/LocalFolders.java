package dev.downloadservice.source.local;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.ListedNames;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.FolderCount;
import dev.downloadservice.source.Folders;
import dev.downloadservice.source.Listing;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.SourceFile;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
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

    private final Path root;
    private final SecureDirectoryStream<Path> rootDirectory;
    private final ListedNames listed;
    private final Executor io;
    private final Executor crcIo;
    private final OpenFiles openFiles;
    /** Folders found unreadable and logged: told once, bounded whatever links are tried. */
    private final Cache<String, Boolean> unreadableReported = Caffeine.newBuilder().maximumSize(10_000)
            .executor(Runnable::run).build();
    private final LongAdder bytesReadForCrc = new LongAdder();

    /**
     * @param root   a directory; resolved to its real path and opened once, so a link
     *               swapped in later cannot move the root
     * @param listed which names are listed besides those every archive takes as they are
     * @param io     where listings and reads run; may also take half of the work of listing a big directory
     * @param crcIo  where whole files are read for their CRC-32: a pool of its own, so that long reads
     *               of big files never hold up listings and small-file reads
     */
    public LocalFolders(Path root, ListedNames listed, Executor io, Executor crcIo) throws IOException {
        this.root = root.toRealPath();
        DirectoryStream<Path> directory = Files.newDirectoryStream(this.root);
        if (!(directory instanceof SecureDirectoryStream<Path> secure)) {
            directory.close();
            throw new IOException("expected a file system that opens files relative to a directory (openat),"
                    + " found none for " + this.root + ": links could not be checked safely");
        }
        this.rootDirectory = secure;
        this.listed = listed;
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
            Object found = openFiles.version(openFiles.attributes(channel)).key(); // ctime too, or fail now
            if (!expected.equals(found)) {
                throw new IOException("expected the descriptor check to find " + expected + ", found " + found);
            }
            return openFiles;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    Path root() {
        return root;
    }

    ListedNames listed() {
        return listed;
    }

    /** Where listings run; a big directory's stats are split with it. */
    Executor io() {
        return io;
    }

    /** Reads what the JDK keeps hidden of a file: its descriptor's fstat, its ctime. */
    OpenFiles openFiles() {
        return openFiles;
    }

    /** Opens listed files; close it when done. One opener serves one thread at a time. */
    FileOpener opener() {
        return new FileOpener(rootDirectory, openFiles);
    }

    @Override
    public CompletableFuture<Optional<Listing>> list(String name) {
        CompletableFuture<Optional<Listing>> listing = new CompletableFuture<>();
        try {
            io.execute(() -> {
                if (listing.isDone()) {
                    return; // abandoned before it began
                }
                try {
                    listing.complete(listNow(name, listing::isDone));
                } catch (IOException e) {
                    listing.completeExceptionally(new UncheckedIOException(e));
                } catch (RuntimeException e) {
                    listing.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException shuttingDown) {
            listing.completeExceptionally(shuttingDown);
        }
        return listing;
    }

    @Override
    public CompletableFuture<Integer> computeCrc32(SourceFile file) {
        return onPool(() -> crc32Now(file), crcIo);
    }

    /** Work on the file system, as it may throw. */
    interface FileWork<T> {
        T run() throws IOException;
    }

    static <T> CompletableFuture<T> onPool(FileWork<T> work, Executor pool) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, pool);
    }

    /**
     * Reads the root's entries on the I/O pool, a stat each: a root of many folders takes a thread for a while,
     * so the count is bounded and nobody waits for it.
     */
    @Override
    public CompletableFuture<Optional<FolderCount>> countFolders(Predicate<String> servable, int atMost) {
        return onPool(() -> Optional.of(countNow(servable, atMost)), io);
    }

    private FolderCount countNow(Predicate<String> servable, int atMost) throws IOException {
        long servableFolders = 0;
        long others = 0;
        int seen = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                if (seen++ == atMost) {
                    return new FolderCount(servableFolders, others, /* complete= */ false);
                }
                if (isFolder(entry)) {
                    if (servable.test(entry.getFileName().toString())) {
                        servableFolders++;
                    } else {
                        others++;
                    }
                }
            }
        }
        return new FolderCount(servableFolders, others, /* complete= */ true);
    }

    /** What {@link #listNow} lists: a folder, or a link to one below the root; a link out of it is no folder here. */
    private boolean isFolder(Path entry) throws IOException {
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        return Files.isSymbolicLink(entry) && Files.isDirectory(entry)
                && realFolder(entry.getFileName().toString()).isPresent();
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
                throw new FileChangedException(EntryNames.printable(file.name()) + " changed: expected " + file.size()
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
        return listNow(name, () -> false);
    }

    /** The same, stopping with a {@code CancellationException} once {@code abandoned} says nobody waits for it. */
    Optional<Listing> listNow(String name, BooleanSupplier abandoned) throws IOException {
        Optional<Path> found = realFolder(name);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        String folder = root.relativize(found.get()).toString();
        List<SourceFile> files = new ArrayList<>();
        try (FileOpener opener = opener()) {
            PosixFileAttributes attrs = FolderWalk.attributes(opener, folder);
            if (!attrs.isDirectory()) {
                return Optional.empty();
            }
            try (SecureDirectoryStream<Path> top = opener.entries(folder)) {
                new FolderWalk(this, folder, name, files, abandoned).walk(top, attrs.fileKey());
            } catch (AccessDeniedException e) {
                return unreadable(name, e);
            }
            unreadableReported.invalidate(name);
            return Optional.of(new Listing(name, attrs.lastModifiedTime().toMillis(), Listing.inArchiveOrder(files)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * A folder the service may not read is, to a visitor, one that is not there: a 404, never
     * a 500. The operator is told once (until it is listed again), not on every request for it.
     */
    private Optional<Listing> unreadable(String name, AccessDeniedException e) {
        if (unreadableReported.asMap().putIfAbsent(name, Boolean.TRUE) == null) {
            log.warn("folder {} cannot be read by the service (permission denied on {}): answered 404, as if it"
                    + " were not there. Let others read it (chmod -R o+rX, and an upload umask of 022), or give"
                    + " the service its group (SupplementaryGroups= in a drop-in)", EntryNames.printable(name),
                    e.getFile());
        }
        return Optional.empty();
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

    /** Local reads have no meters of their own: the downloads' and the CRC cache's count them. */
    @Override
    public void bindTo(MeterRegistry registry) {
        // Nothing to add.
    }

    @Override
    public void close() throws IOException {
        rootDirectory.close();
    }
}
