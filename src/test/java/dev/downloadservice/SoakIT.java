package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceProcess;
import dev.downloadservice.testing.TestFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service under a steady mixed load for a bounded time: 64 clients doing
 * full downloads, ranges, aborts, conditional requests and 404s, plus downloads of a folder
 * whose files are being rewritten. Every answer must be the one expected (a complete
 * archive byte for byte, or for the changing folder a complete archive that verifies or
 * a cut connection), and the service's memory, open files and threads must stay flat.
 *
 * <p>60 seconds on every CI run; {@code ./mvnw -Psoak verify} runs it for 10 minutes.
 * Figures go to {@code target/soak-report.txt} (see docs/reliability.md).
 */
class SoakIT {

    private static final int CLIENTS = 64;
    private static final long SECONDS = Long.getLong("soak.seconds", 60);
    private static final List<String> STATIC_FOLDERS = List.of("photos", "thumbs", "mixed");

    @TempDir
    Path root;

    private final Map<String, byte[]> archives = new ConcurrentHashMap<>();
    private final Map<String, String> etags = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final LongAdder bytes = new LongAdder();

    @Test
    void mixedLoad_everyAnswerRight_resourcesFlat() throws Exception {
        createFolders();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // A fixed, pre-touched heap: RSS then shows what the service holds outside the heap.
        ProcessBuilder command = ServiceProcess.command(java, List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"),
                Map.of(), "--path", root.toString(), "--host", "127.0.0.1", "--port", "0", "--idle-timeout", "10", "--send-timeout", "10",
                // 64 clients on one loopback address stand for 64 visitors.
                "--max-downloads-per-client", "1000");
        try (ServiceProcess service = ServiceProcess.start(command)) {
            for (String folder : STATIC_FOLDERS) {
                fetchReference(service, folder);
            }
            runLoad(service, 5, new Random(1)); // warm-up: JIT, pools, caches
            long filesIdle = awaitIdleFiles(service, Long.MAX_VALUE);
            long rssAfterWarmUp = service.rssKib();
            long threadsAfterWarmUp = service.threads();

            long start = System.nanoTime();
            List<Long> rssSamples = runLoad(service, SECONDS, new Random(2));
            double seconds = (System.nanoTime() - start) / 1e9;
            long filesAfter = awaitIdleFiles(service, filesIdle);
            long rssPeak = rssSamples.stream().mapToLong(Long::longValue).max().orElse(0);

            String report = String.format("soak %d s, %d clients: %s; %.0f MB/s; RSS after warm-up %d KiB, peak %d KiB,"
                            + " samples %s; open files idle %d before, %d after; threads %d before, %d after; errors %d%n",
                    SECONDS, CLIENTS, new TreeMap<>(outcomes), bytes.sum() / seconds / 1e6, rssAfterWarmUp,
                    rssPeak, rssSamples, filesIdle, filesAfter, threadsAfterWarmUp, service.threads(), errors.size());
            Files.writeString(Path.of("target/soak-report.txt"), report);
            System.out.print(report);

            assertThat(errors).as("unexpected answers").isEmpty();
            assertThat(filesAfter).as("open files once idle again").isLessThanOrEqualTo(filesIdle);
            assertThat(service.threads()).as("threads").isLessThanOrEqualTo(threadsAfterWarmUp);
            // Flat: under load it may hold buffers and sockets, but no growth with time.
            assertThat(rssPeak - rssAfterWarmUp).as("RSS growth under load, KiB").isLessThan(96 * 1024);
            long firstHalf = rssSamples.subList(0, rssSamples.size() / 2).stream().mapToLong(Long::longValue).max().orElse(0);
            assertThat(rssPeak).as("RSS peak of the whole run against the first half's").isLessThan(firstHalf + 32 * 1024);
            assertThat(outcomes.keySet()).contains("full", "range", "abort", "404", "304", "changing",
                    "changing-complete"); // a change aborts some downloads of that folder, never all
        }
    }

    // ---- The load ----

    /** CLIENTS threads, each doing random operations until the time is up; returns RSS samples (KiB). */
    private List<Long> runLoad(ServiceProcess service, long seconds, Random seeds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS + 1);
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            long seed = seeds.nextLong();
            running.add(clients.submit(() -> {
                Random random = new Random(seed);
                while (System.nanoTime() < deadline) {
                    operation(service, random);
                }
                return null;
            }));
        }
        Path changing = root.resolve("changing");
        running.add(clients.submit(() -> {
            Random random = new Random(seeds.nextLong());
            while (System.nanoTime() < deadline) {
                TestFiles.random(changing.resolve("c" + random.nextInt(5) + ".jpg"), 1_000 + random.nextInt(400_000),
                        random.nextLong());
                Thread.sleep(200);
            }
            return null;
        }));
        List<Long> rss = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            Thread.sleep(Math.max(1000, TimeUnit.SECONDS.toMillis(seconds) / 20));
            rss.add(service.rssKib());
        }
        clients.shutdown();
        for (Future<?> client : running) {
            client.get(60, TimeUnit.SECONDS);
        }
        return rss;
    }

    private void operation(ServiceProcess service, Random random) {
        String folder = STATIC_FOLDERS.get(random.nextInt(STATIC_FOLDERS.size()));
        int dice = random.nextInt(100);
        String what = dice < 30 ? "full" : dice < 50 ? "range" : dice < 65 ? "abort" : dice < 75 ? "404"
                : dice < 80 ? "304" : "changing";
        try {
            switch (what) {
                case "full" -> full(service, folder);
                case "range" -> range(service, folder, random);
                case "abort" -> abort(service, folder, random);
                case "404" -> notFound(service, random);
                case "304" -> notModified(service, folder);
                default -> changing(service);
            }
            outcomes.computeIfAbsent(what, k -> new LongAdder()).increment();
        } catch (Exception | AssertionError e) {
            if (errors.size() < 20) {
                errors.add(what + " " + folder + ": " + e);
            }
        }
    }

    private void full(ServiceProcess service, String folder) throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(get(folder, ""));
            RawHttp.Head head = expect(http, 200);
            byte[] body = http.readExactly((int) head.contentLength());
            bytes.add(body.length);
            check(Arrays.equals(body, archives.get(folder)), "full download of " + folder + " differs from the first one");
        }
    }

    private void range(ServiceProcess service, String folder, Random random) throws IOException {
        byte[] whole = archives.get(folder);
        int first = random.nextInt(whole.length);
        int last = first + random.nextInt(Math.min(whole.length - first, 4_000_000));
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(get(folder, "Range: bytes=" + first + "-" + last + "\r\n"));
            RawHttp.Head head = expect(http, 206);
            byte[] body = http.readExactly((int) head.contentLength());
            bytes.add(body.length);
            check(Arrays.equals(body, Arrays.copyOfRange(whole, first, last + 1)), "range " + first + "-" + last + " differs");
        }
    }

    private void abort(ServiceProcess service, String folder, Random random) throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 16 * 1024)) {
            http.send(get(folder, ""));
            expect(http, 200);
            bytes.add(http.skip(random.nextInt(archives.get(folder).length)));
            if (random.nextBoolean()) {
                http.resetOnClose();
            }
        }
    }

    private void notFound(ServiceProcess service, Random random) throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(get("missing" + random.nextInt(1000), ""));
            http.readExactly((int) expect(http, 404).contentLength());
        }
    }

    private void notModified(ServiceProcess service, String folder) throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(get(folder, "If-None-Match: " + etags.get(folder) + "\r\n"));
            expect(http, 304);
        }
    }

    /** A folder being rewritten: a download completes and verifies, or is cut before Content-Length. */
    private void changing(ServiceProcess service) throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(get("changing", ""));
            RawHttp.Head head = expect(http, 200);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            try {
                http.copy(body, head.contentLength());
            } catch (SocketException reset) {
                // Cut: what arrived is shorter than Content-Length, counted below.
            }
            bytes.add(body.size());
            if (body.size() == head.contentLength()) {
                verify(body.toByteArray());
                outcomes.computeIfAbsent("changing-complete", k -> new LongAdder()).increment();
            } else {
                outcomes.computeIfAbsent("changing-cut", k -> new LongAdder()).increment();
            }
        }
    }

    // ---- Helpers ----

    private static String get(String folder, String headers) {
        return "GET /archive/" + folder + "/ HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n";
    }

    private static RawHttp.Head expect(RawHttp http, int status) throws IOException {
        RawHttp.Head head = http.readHead();
        check(head.code() == status, "expected status " + status + ", found " + head.status());
        return head;
    }

    private static void check(boolean condition, String failure) {
        if (!condition) {
            throw new AssertionError(failure);
        }
    }

    /** Every entry's bytes match its CRC-32 (ZipInputStream checks them), and the archive ends properly. */
    private static void verify(byte[] archive) throws IOException {
        int entries = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; entries++) {
                zip.transferTo(OutputStream.nullOutputStream());
            }
        }
        check(entries > 0, "expected entries in the archive, found none");
    }

    private void fetchReference(ServiceProcess service, String folder) throws IOException {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send(get(folder, ""));
            RawHttp.Head head = expect(http, 200);
            byte[] archive = http.readExactly((int) head.contentLength());
            verify(archive);
            archives.put(folder, archive);
            etags.put(folder, head.headers().get("etag"));
        }
    }

    /** Waits until the service's open files fall to {@code target} (or settle, for the first measure). */
    private static long awaitIdleFiles(ServiceProcess service, long target) throws Exception {
        long files = service.openFiles();
        for (int i = 0; i < 200 && files > target; i++) {
            Thread.sleep(50);
            files = service.openFiles();
        }
        if (target == Long.MAX_VALUE) {
            Thread.sleep(500);
            files = service.openFiles();
        }
        return files;
    }

    private void createFolders() throws IOException {
        Random random = new Random(7);
        Path photos = Files.createDirectory(root.resolve("photos"));
        for (int i = 0; i < 8; i++) {
            TestFiles.random(photos.resolve("IMG_" + i + ".jpg"), 1_000_000 + random.nextInt(2_000_000), random.nextLong());
        }
        Path thumbs = Files.createDirectory(root.resolve("thumbs"));
        for (int i = 0; i < 500; i++) {
            Path sub = Files.createDirectories(thumbs.resolve("day" + i % 5));
            TestFiles.random(sub.resolve("t" + i + ".jpg"), 1 + random.nextInt(30_000), random.nextLong());
        }
        Path mixed = Files.createDirectory(root.resolve("mixed"));
        Files.createDirectory(mixed.resolve("empty"));
        Files.writeString(mixed.resolve("Überblick – été.txt"), "names that are not ASCII");
        TestFiles.random(mixed.resolve("big.jpg"), 3_000_000, random.nextLong());
        TestFiles.random(mixed.resolve("small.jpg"), 50_000, random.nextLong());
        Files.write(mixed.resolve("zero.bin"), new byte[0]);
        Path changing = Files.createDirectory(root.resolve("changing"));
        for (int i = 0; i < 5; i++) {
            TestFiles.random(changing.resolve("c" + i + ".jpg"), 1_000 + random.nextInt(400_000), random.nextLong());
        }
    }
}
