package dev.downloadservice.source.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.Reads;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large body read in order through memory: its chunks share one open file, which is closed
 * after the last chunk, and every chunk still sees a change. Reads run on the calling thread
 * here, so the descriptors this process holds can be counted between chunks.
 */
class LocalReadsTest {

    private static final int CHUNK = 1000;

    @TempDir
    Path root;
    private Path file;
    private byte[] bytes;
    private LocalFolders folders;
    private SourceFile listed;

    @BeforeEach
    void folder() throws IOException {
        file = TestFiles.random(Files.createDirectory(root.resolve("abc")).resolve("photo.jpg"), 3 * CHUNK, 7);
        bytes = Files.readAllBytes(file);
        folders = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, Runnable::run, Runnable::run);
        listed = folders.listNow("abc").orElseThrow().files().get(0);
    }

    @Test
    void readInOrder_chunksOfABody_shareOneOpenFileClosedAfterTheLast() throws IOException {
        try (Reads reads = folders.reads()) {
            ByteBuffer first = chunk(reads, 0);
            assertThat(descriptorsOf(file)).isEqualTo(1);
            ByteBuffer second = chunk(reads, 1);
            assertThat(descriptorsOf(file)).isEqualTo(1);
            ByteBuffer third = chunk(reads, 2);

            assertThat(descriptorsOf(file)).isZero();
            assertThat(concat(first, second, third)).isEqualTo(bytes);
        }
    }

    @Test
    void readInOrder_fileRewrittenInPlaceBetweenChunks_failsTheNextChunk() throws IOException {
        try (Reads reads = folders.reads()) {
            chunk(reads, 0);
            TestFiles.rewriteKeepingMtime(file, 1500, new byte[] {1, 2, 3});

            assertThatThrownBy(() -> chunk(reads, 1)).hasRootCauseInstanceOf(FileChangedException.class)
                    .hasMessageContaining("ctime");
            assertThat(descriptorsOf(file)).isEqualTo(1); // the body's: the download ends by closing its reads
        }
        assertThat(descriptorsOf(file)).isZero();
    }

    @Test
    void readInOrder_folderSwappedForACopyAfterTheFirstChunk_failsTheLastChunk() throws IOException {
        try (Reads reads = folders.reads()) {
            chunk(reads, 0);
            // The open file itself is untouched (a rename of the file would move its ctime): only its path leads elsewhere.
            Files.move(root.resolve("abc"), root.resolve("abc-old"));
            Files.write(Files.createDirectory(root.resolve("abc")).resolve("photo.jpg"), bytes);

            chunk(reads, 1); // still the listed file's own bytes, through its open descriptor
            assertThatThrownBy(() -> chunk(reads, 2)).hasRootCauseInstanceOf(FileChangedException.class)
                    .hasMessageContaining("another file");
        }
    }

    @Test
    void close_midBody_closesTheFile() throws IOException {
        Reads reads = folders.reads();
        chunk(reads, 0);

        reads.close();

        assertThat(descriptorsOf(file)).isZero();
        assertThatThrownBy(() -> chunk(reads, 1)).hasMessageContaining("closed");
    }

    @Test
    void readInOrder_aRangeThatStartsAnotherBody_closesTheFirstBodysFile() throws IOException {
        try (Reads reads = folders.reads()) {
            chunk(reads, 0);
            ByteBuffer again = chunk(reads, 0); // not where the body went on: a body of its own

            assertThat(descriptorsOf(file)).isEqualTo(1);
            assertThat(again.array()).isEqualTo(Arrays.copyOf(bytes, CHUNK));
        }
        assertThat(descriptorsOf(file)).isZero();
    }

    @Test
    void readInOrder_readsRunAfterTheDownloadClosedLastChunkFirst_eachReadsTheOpenFileThenItCloses() throws Exception {
        List<Runnable> held = new ArrayList<>();
        LocalFolders gated = new LocalFolders(root, TestFiles.LISTED_BY_DEFAULT, held::add, Runnable::run);
        SourceFile file = gated.listNow("abc").orElseThrow().files().get(0);
        Reads reads = gated.reads();
        List<ByteBuffer> targets = List.of(ByteBuffer.allocate(CHUNK), ByteBuffer.allocate(CHUNK),
                ByteBuffer.allocate(CHUNK));
        List<CompletableFuture<Void>> chunks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            chunks.add(reads.readInOrder(file, (long) i * CHUNK, bytes.length, targets.get(i)));
        }
        reads.close(); // the download ends while its three reads wait for the pool

        for (int i = held.size() - 1; i >= 0; i--) {
            held.get(i).run(); // the last chunk first: its end must not close the file under the others
        }

        CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(concat(targets.toArray(ByteBuffer[]::new))).isEqualTo(bytes);
        assertThat(descriptorsOf(this.file)).isZero();
    }

    /** The chunk {@code index} of the whole body, read synchronously. */
    private ByteBuffer chunk(Reads reads, int index) {
        ByteBuffer target = ByteBuffer.allocate(CHUNK);
        reads.readInOrder(listed, (long) index * CHUNK, bytes.length, target).join();
        return target;
    }

    private static byte[] concat(ByteBuffer... chunks) {
        ByteBuffer all = ByteBuffer.allocate(Stream.of(chunks).mapToInt(ByteBuffer::capacity).sum());
        for (ByteBuffer chunk : chunks) {
            all.put(chunk.array());
        }
        return all.array();
    }

    /** How many of this process's descriptors are open on the file. */
    private static long descriptorsOf(Path file) throws IOException {
        Path real = file.toRealPath();
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            List<Path> all = descriptors.toList();
            return all.stream().filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (IOException gone) { // the listing's own descriptor, closed by now
                    return false;
                }
            }).count();
        }
    }
}
