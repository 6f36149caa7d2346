package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults that need a real process or a big folder: files the service may not read, 200,000 entries. */
class FaultsIT {

    @TempDir
    Path dir;

    /**
     * Files the service may not read (uploaded with a umask that shuts it out): one that is
     * unreadable when the folder is listed is left out and logged; one that becomes
     * unreadable during the download aborts it before Content-Length as an error, and the
     * log names it. Run as nobody, since root reads anything.
     */
    @Test
    void unreadableFiles_leftOutWhenListed_abortWhenLockedMidDownload() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Path locked = Files.createDirectory(root.resolve("locked"));
        for (int i = 0; i < 5; i++) {
            Files.write(locked.resolve("photo" + i + ".jpg"), new byte[200_000 + i]);
        }
        Files.setPosixFilePermissions(locked.resolve("photo0.jpg"), PosixFilePermissions.fromString("---------"));
        for (Path path : List.of(dir, root, locked)) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        // Throttled (64 KiB every 0.2 s), so that the last file is opened well after the first bytes.
        try (ServiceProcess service = startAsNobody(root, "--delay", "0.2");
             RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("GET /archive/locked/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            RawHttp.Head head = http.readHead();
            assertThat(http.skip(1000)).isEqualTo(1000);

            Files.setPosixFilePermissions(locked.resolve("photo4.jpg"), PosixFilePermissions.fromString("---------"));
            long received = http.assertCutBeforeContentLength(head, 1000);

            assertThat(service.awaitLog("left out photo0.jpg")).contains("not readable");
            assertThat(head.code()).isEqualTo(200);
            assertThat(received).as("photos 1 to 3 arrived").isGreaterThan(3 * 200_000);
            ServiceMetrics.awaitDownloadsEnded(service.port(), "error", 1);
            service.awaitLog("photo4.jpg"); // the operator learns which file
        }
    }

    /**
     * A hash folder the service may not read is a 404, as a missing one, and the operator is
     * told once, not on every request (it was a 500 with a stack trace each time); a subfolder
     * it may not read is left out whole, without an empty entry for it.
     */
    @Test
    void unreadableFolders_hashIs404LoggedOnce_subfolderLeftOutWhole() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.write(Files.createDirectory(root.resolve("secret")).resolve("photo.jpg"), new byte[100]);
        Path gallery = Files.createDirectory(root.resolve("gallery"));
        Files.write(gallery.resolve("shown.jpg"), new byte[100]);
        Files.write(Files.createDirectory(gallery.resolve("private")).resolve("hidden.jpg"), new byte[100]);
        for (Path path : List.of(dir, root, gallery)) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (Path path : List.of(root.resolve("secret"), gallery.resolve("private"))) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("---------"));
        }
        try (ServiceProcess service = startAsNobody(root)) {
            for (int i = 0; i < 3; i++) {
                assertThat(RawHttp.exchange(service.port(), "GET /archive/secret/ HTTP/1.1\r\nHost: x\r\n\r\n")
                        .head().code()).isEqualTo(404);
            }
            Path zip = service.download("gallery", dir.resolve("gallery.zip"));
            try (ZipFile read = new ZipFile(zip.toFile())) {
                assertThat(read.stream().map(ZipEntry::getName)).containsExactly("shown.jpg");
            }

            service.awaitLog("left out private/ and its contents");
            assertThat(service.log()).filteredOn(line -> line.contains("folder secret cannot be read")).hasSize(1);
            assertThat(service.log()).as("no stack trace").noneMatch(line -> line.startsWith("\tat "));
        }
    }

    /** The service as a process, as nobody when the tests run as root (root reads anything). */
    private ServiceProcess startAsNobody(Path root, String... options) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> args = new ArrayList<>(List.of("--path", root.toString(), "--host", "127.0.0.1", "--port", "0"));
        args.addAll(List.of(options));
        ProcessBuilder command = ServiceProcess.command(java, Map.of(), args.toArray(String[]::new));
        if ("root".equals(System.getProperty("user.name"))) {
            command.command().addAll(0, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        return ServiceProcess.start(command);
    }

    /** 200,000 entries: planned from the listing alone (no file read for a HEAD), in bounded memory, and complete. */
    @Test
    void twoHundredThousandEntries_plannedWithoutReadingAndDownloadedWhole() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("root/huge"));
        for (int d = 0; d < 20; d++) {
            Path sub = Files.createDirectory(folder.resolve("d" + d));
            for (int i = 0; i < 9_999; i++) {
                Files.write(sub.resolve("f" + i), i % 7 == 0 ? new byte[0] : new byte[] {(byte) i, (byte) d});
            }
        }
        // 20 directories + 199,980 files = 200,000 entries.
        try (TestService service = TestService.start(dir.resolve("root"))) {
            long heapBefore = usedHeapAfterGc();
            try (RawHttp http = RawHttp.connect(service.port(), 0)) {
                http.send("HEAD /archive/huge/ HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(http.readHead().code()).isEqualTo(200);
            }
            long heapAfter = usedHeapAfterGc();
            assertThat(service.service().checksums().bytesRead()).as("bytes read to plan").isZero();
            assertThat(heapAfter - heapBefore).as("heap kept after planning 200,000 entries").isLessThan(160L << 20);

            Path zip = service.download("huge", dir.resolve("huge.zip"));
            try (ZipFile read = new ZipFile(zip.toFile())) {
                assertThat(read.size()).isEqualTo(200_000);
                assertThat(read.getEntry("d19/f9998").getSize()).isEqualTo(2);
            }
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
