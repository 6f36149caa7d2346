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
 * -overwrite_original_in_place} or {@code rsync --inplace} do it: 32 bytes overwritten near
 * the end of a big file, at a random moment of a download by a slow client (8 KiB receive
 * buffer), with and without the old mtime put back. The bytes of a big file go out by
 * sendfile and stay references to the file's pages until the client has them, so the only
 * outcomes allowed are a download cut before Content-Length or exactly the bytes of the
 * archive as it was listed: never a complete response with a changed byte. Over real HTTP on
 * loopback, where even acknowledged bytes still refer to the page cache until read.
 */
class InPlaceWritesIT {

    private static final int TRIALS = 16;
    private static final int BIG = 1_000_000;
    private static final int PATCH = 32;

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
        // The last file big; then the middle one of three.
        original(root.resolve("two/a_small"), 300_000, 1);
        original(root.resolve("two/b_big"), 3 * BIG, 2);
        for (int i = 1; i <= 3; i++) {
            original(root.resolve("three/" + i + ".bin"), BIG, 10 + i);
        }
        original(root.resolve("other/photo.jpg"), BIG, 20);
        service = TestService.start(root);
        for (String folder : new String[] {"two", "three"}) {
            REFERENCE.put(folder, RawHttp.exchange(service.port(),
                    "GET /archive/" + folder + "/ HTTP/1.1\r\nHost: x\r\n\r\n").body());
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
        // A range that ends inside a big file: its last bytes are file bytes.
        "two, b_big, true, true", "three, 2.bin, true, true"})
    void inPlaceWrite_atARandomMoment_cutOrExactlyTheListedBytes(String folder, String file, boolean keepMtime,
                                                                  boolean range) throws Exception {
        byte[] whole = REFERENCE.get(folder);
        // The range ends 5,000 bytes before the archive's end: in the last file's body, past the written bytes.
        int end = range ? whole.length - 5_000 : whole.length;
        byte[] expected = Arrays.copyOf(whole, end);
        Random random = new Random(folder.hashCode() * 31L + file.hashCode() + (keepMtime ? 1 : 0) + (range ? 2 : 0));
        int cut = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            restoreOriginals();
            long writeAt = random.nextInt(end);
            byte[] received = downloadWritingAt(folder, root.resolve(folder).resolve(file), writeAt, keepMtime, end);
            if (received.length == end) {
                assertThat(received).as("trial %d: a complete response, after a write at byte %d", trial, writeAt)
                        .isEqualTo(expected);
            } else {
                cut++;
            }
        }
        assertThat(cut).as("writes while the file's bytes were on their way cut downloads").isPositive();
        // The control: a write of the same kind into a file of another folder cuts nothing.
        restoreOriginals();
        assertThat(downloadWritingAt(folder, root.resolve("other/photo.jpg"), end / 2, keepMtime, end))
                .isEqualTo(expected);
    }

    private static void restoreOriginals() throws Exception {
        for (Map.Entry<Path, byte[]> file : ORIGINAL.entrySet()) {
            Files.write(file.getKey(), file.getValue());
            Files.setLastModifiedTime(file.getKey(), MTIME);
        }
    }

    /** Downloads slowly, overwrites the file once {@code writeAt} body bytes are in; returns the body bytes received. */
    private static byte[] downloadWritingAt(String folder, Path file, long writeAt, boolean keepMtime, int end)
            throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 8 * 1024)) {
            String range = end < REFERENCE.get(folder).length ? "Range: bytes=0-" + (end - 1) + "\r\n" : "";
            http.send("GET /archive/" + folder + "/ HTTP/1.1\r\nHost: x\r\n" + range + "\r\n");
            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isEqualTo(range.isEmpty() ? 200 : 206);
            ByteArrayOutputStream body = new ByteArrayOutputStream(end);
            long got = http.copy(body, writeAt);
            byte[] patch = new byte[PATCH];
            Arrays.fill(patch, (byte) 0x5A);
            if (keepMtime) {
                TestFiles.rewriteKeepingMtime(file, Files.size(file) - 10_000, patch);
            } else {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.seek(Files.size(file) - 10_000);
                    raf.write(patch);
                }
            }
            while (got < head.contentLength()) { // a slow reader: 16 KiB every 2 ms
                long n = http.copy(body, Math.min(16 * 1024, head.contentLength() - got));
                if (n == 0) {
                    break;
                }
                got += n;
                Thread.sleep(2);
            }
            return body.toByteArray();
        }
    }
}
