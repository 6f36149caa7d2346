package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A photo edited in place while its folder downloads, as a CMS, {@code exiftool
 * -overwrite_original_in_place} or {@code rsync --inplace} do it: 32 bytes overwritten in a
 * big file whose bytes go out by sendfile, at a moment when they may still sit in the socket
 * queues (the client has stopped reading just before them, with a large receive buffer), with
 * and without the old mtime put back. Such bytes are references to the file's
 * pages until the client has read them (on loopback even once acknowledged), so the only
 * outcomes allowed are a download cut before Content-Length or exactly the bytes of the
 * archive as listed: never a complete response with a changed byte. The archives are larger
 * than what the service sends through memory at the end of a response, so that most of their
 * bytes go by sendfile.
 */
class InPlaceWritesIT {

    private static final int TRIALS = 6;
    /** The client's receive buffer: large, so that what it has not read yet can be much. */
    private static final int RECEIVE_BUFFER = 4 << 20;
    /** The end of a response the service sends through memory, as it works it out (its held part: 256 KiB). */
    private static final long UNSEEN_TAIL = kernelBuffersAtMost() + 256 * 1024;
    /** Files bigger than that tail, so that most of their bytes go by sendfile. */
    private static final long TAIL = UNSEEN_TAIL + (8 << 20);

    @TempDir
    static Path root;
    private static TestService service;
    /** The files as listed: put back before every trial, content and mtime. */
    private static final Map<Path, byte[]> ORIGINAL = new TreeMap<>();
    private static final FileTime MTIME = FileTime.fromMillis(1_700_000_000_000L);
    /** The archives of the original files, downloaded whole before any write. */
    private static final Map<String, byte[]> REFERENCE = new TreeMap<>();

    @BeforeAll
    static void start() throws Exception {
        // The last file big; then the middle one of three. Each written file is sent by sendfile at PATCH_AT.
        original(root.resolve("two/a_small"), 300_000, 1);
        original(root.resolve("two/b_big"), (int) TAIL + (4 << 20), 2);
        for (int i = 1; i <= 3; i++) {
            original(root.resolve("three/" + i + ".bin"), (int) TAIL / 2 + (4 << 20), 10 + i);
        }
        original(root.resolve("other/photo.jpg"), 1 << 20, 20);
        service = TestService.start(root);
        for (String folder : new String[] {"two", "three"}) {
            REFERENCE.put(folder, RawHttp.exchange(service.port(),
                    "GET /archive/" + folder + "/ HTTP/1.1\r\nHost: x\r\n\r\n").body());
        }
    }

    /** What the kernel's socket queues can hold of one connection at most: a write queue and a local peer's receive queue. */
    private static long kernelBuffersAtMost() {
        try {
            long[] wmem = Arrays.stream(Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_wmem")).get(0).strip().split("\\s+"))
                    .mapToLong(Long::parseLong).toArray();
            long[] rmem = Arrays.stream(Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_rmem")).get(0).strip().split("\\s+"))
                    .mapToLong(Long::parseLong).toArray();
            long wmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/wmem_max")).get(0).strip());
            long rmemMax = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_max")).get(0).strip());
            return Math.max(wmem[2], 2 * wmemMax) + Math.max(rmem[2], 2 * rmemMax);
        } catch (Exception e) {
            throw new IllegalStateException("expected Linux's socket buffer limits in /proc/sys/net", e);
        }
    }

    private static void original(Path file, int size, long seed) throws Exception {
        ORIGINAL.put(TestFiles.random(file, size, seed), TestFiles.randomBytes(size, seed));
        Files.setLastModifiedTime(file, MTIME);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @ParameterizedTest(name = "{0}/{1}, old mtime put back: {2}, range: {3}")
    @CsvSource({
        "two, b_big, false, false", "two, b_big, true, false",
        "three, 2.bin, false, false", "three, 2.bin, true, false",
        // A range that ends inside the last file: its last bytes are file bytes.
        "two, b_big, true, true", "three, 2.bin, true, true"})
    void inPlaceWrite_whileItsBytesMayBeInFlight_cutOrExactlyTheListedBytes(String folder, String file,
                                                                            boolean keepMtime, boolean range)
            throws Exception {
        byte[] whole = REFERENCE.get(folder);
        int end = range ? whole.length - 5_000 : whole.length;
        byte[] expected = Arrays.copyOf(whole, end);
        Path written = root.resolve(folder).resolve(file);
        long fileInArchive = indexOf(whole, Arrays.copyOf(ORIGINAL.get(written), 64));
        // 10,000 bytes before the end of what goes by sendfile: sent, checked once sent, and then perhaps
        // still in the socket queues when written (the case that completed with a bad CRC before #12).
        long patchInArchive = end - UNSEEN_TAIL - 10_000;
        long patchAt = patchInArchive - fileInArchive;
        assertThat(patchAt).as("the written bytes inside the file").isBetween(0L, (long) ORIGINAL.get(written).length);
        Random random = new Random(folder.hashCode() * 31L + file.hashCode() + (keepMtime ? 1 : 0) + (range ? 2 : 0));
        int cut = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            restore(written);
            // The client has not read the bytes to be written yet: they may be in the socket queues.
            long writeAt = Math.max(0, patchInArchive - random.nextInt(256 * 1024));
            byte[] received = downloadWritingAt(folder, new Write(written, patchAt, keepMtime), writeAt, end);
            if (received.length == end) {
                assertThat(Arrays.equals(received, expected))
                        .as("trial %d: a complete response, after a write at byte %d", trial, writeAt).isTrue();
            } else {
                cut++;
            }
        }
        assertThat(cut).as("writes while the file's bytes were on their way cut downloads").isPositive();
        // The control: a write of the same kind into a file of another folder cuts nothing.
        restore(written);
        assertThat(Arrays.equals(downloadWritingAt(folder, new Write(root.resolve("other/photo.jpg"), 1000, keepMtime),
                patchInArchive, end), expected)).as("a write elsewhere").isTrue();
    }

    private static long indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("expected the file's bytes in its archive");
    }

    /** Puts a written file's listed content and mtime back (its ctime moves: a new version, the same bytes). */
    private static void restore(Path file) throws Exception {
        Files.write(file, ORIGINAL.get(file));
        Files.setLastModifiedTime(file, MTIME);
    }

    /** 32 bytes overwritten in place at {@code at}, with or without the old mtime put back. */
    private record Write(Path file, long at, boolean keepMtime) {
        void apply() throws Exception {
            byte[] patch = new byte[32];
            Arrays.fill(patch, (byte) 0x5A);
            if (keepMtime) {
                TestFiles.rewriteKeepingMtime(file, at, patch);
            } else {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.seek(at);
                    raf.write(patch);
                }
            }
        }
    }

    /**
     * Reads up to {@code writeAt}, stops reading for a moment (the service fills the socket
     * queues meanwhile, and checks what it finished sending), makes the write, then reads to the
     * end; returns the body bytes received.
     */
    private static byte[] downloadWritingAt(String folder, Write write, long writeAt, int end) throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), RECEIVE_BUFFER)) {
            String range = end < REFERENCE.get(folder).length ? "Range: bytes=0-" + (end - 1) + "\r\n" : "";
            http.send("GET /archive/" + folder + "/ HTTP/1.1\r\nHost: x\r\n" + range + "\r\n");
            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isEqualTo(range.isEmpty() ? 200 : 206);
            ByteArrayOutputStream body = new ByteArrayOutputStream(end);
            http.copy(body, writeAt);
            Thread.sleep(200);
            write.apply();
            http.copy(body, head.contentLength() - writeAt); // to the end, or until the service cuts
            return body.toByteArray();
        }
    }
}
