package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Random folders cut into random ranges over real HTTP: the pieces always join into the whole download. */
class RangeProperties {

    private static Path root;
    private static TestService service;
    private static final AtomicInteger folders = new AtomicInteger();
    private static final HttpClient client = HttpClient.newHttpClient();

    @BeforeContainer
    static void start() throws Exception {
        root = Files.createTempDirectory("range-properties");
        service = TestService.start(root);
    }

    @AfterContainer
    static void stop() throws Exception {
        service.close();
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 40)
    void ranges_ofARandomFolder_concatenateToTheFullDownload(
            @ForAll("fileSizes") List<Integer> sizes,
            @ForAll @Size(max = 8) List<@DoubleRange(min = 0, max = 1) Double> cuts) throws Exception {
        String name = "f" + folders.incrementAndGet();
        Path folder = Files.createDirectory(root.resolve(name));
        for (int i = 0; i < sizes.size(); i++) {
            Path file = folder.resolve((i % 3 == 0 ? "sub/" : "") + "file-" + i + ".bin");
            TestFiles.random(file, sizes.get(i), i);
        }
        byte[] whole = get(name, null).body();
        TreeSet<Long> points = new TreeSet<>(List.of(0L, (long) whole.length));
        cuts.forEach(c -> points.add((long) (c * whole.length)));

        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        Long from = null;
        for (long to : points) {
            if (from != null && to > from) {
                HttpResponse<byte[]> part = get(name, "bytes=" + from + "-" + (to - 1));
                assertThat(part.statusCode()).isEqualTo(206);
                joined.writeBytes(part.body());
            }
            from = to;
        }

        assertThat(joined.toByteArray()).isEqualTo(whole);
    }

    @Provide
    Arbitrary<List<Integer>> fileSizes() {
        // Around the line (ArchiveBody.SMALL_FILE) where bodies stop being batched and go out by sendfile.
        int line = ArchiveBody.SMALL_FILE;
        Arbitrary<Integer> size = Arbitraries.oneOf(Arbitraries.integers().between(0, 3000),
                Arbitraries.integers().between(line - 5000, line + 5000), Arbitraries.integers().between(400_000, 600_000));
        return size.list().ofMaxSize(12);
    }

    private static HttpResponse<byte[]> get(String folder, String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(service.uri("/archive/" + folder + "/"));
        if (range != null) {
            request.header("Range", range);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
