package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ProcessResources;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.TestService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Thousands of mutated and random requests: every one is answered with a well-formed
 * status line or a closed connection within seconds, never a stack trace; afterwards a
 * normal download works and the process holds what it held before.
 */
class MalformedHttpProperties {

    private static final List<String> SEEDS = List.of(
            "GET /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\nRange: bytes=10-20\r\n\r\n",
            "HEAD /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \"x\"\r\n\r\n",
            "GET /archive/gallery HTTP/1.0\r\n\r\n",
            "POST /archive/gallery/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\nGET /archive/gallery/ HTTP/1.1\r\nHost: x\r\n\r\n");

    private static Path root;
    private static TestService service;
    private static ProcessResources baseline;

    @BeforeContainer
    static void start() throws Exception {
        root = Files.createTempDirectory("malformed-http");
        Path gallery = Files.createDirectory(root.resolve("gallery"));
        Files.write(gallery.resolve("photo.jpg"), new byte[300_000]);
        Files.writeString(gallery.resolve("note.txt"), "note");
        service = TestService.start(root, "--idle-timeout", "2", "--max-downloads-per-client", "1000");
        baseline = ProcessResources.afterWarmUp(() -> {
            assertNormalDownload();
            return exchange("GET /archive/gallery/ HTTP/1.1\r\nHost: x\r\nRange: bytes=-200\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1)); // a range whose headers need CRCs from the cache
        });
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            assertNormalDownload();
            ProcessResources.awaitBackTo(baseline, 16 * 1024 * 1024, Duration.ofSeconds(10));
        } finally {
            service.close();
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Property(tries = 2000)
    void anyBytes_wellFormedAnswerOrClose(@ForAll("requests") byte[] request) throws Exception {
        String answer = exchange(request);

        if (!answer.isEmpty()) {
            assertThat(answer).matches("(?s)HTTP/1\\.1 [1-5]\\d\\d [^\r\n]*\r\n.*");
        }
        assertThat(answer).doesNotContain("Exception", "\tat ");
    }

    @Provide
    Arbitrary<byte[]> requests() {
        Arbitrary<byte[]> seeds = Arbitraries.of(SEEDS).map(seed -> seed.getBytes(StandardCharsets.ISO_8859_1));
        Arbitrary<byte[]> mutated = Combinators.combine(seeds, Arbitraries.integers().between(1, 8),
                Arbitraries.longs()).as(MalformedHttpProperties::mutate);
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
        Arbitrary<byte[]> printable = Arbitraries.strings().withChars("GETHADPOS /%.\r\n:-0123456789abcdefxyz\u0000\u00ff")
                .ofMaxLength(300).map(text -> text.getBytes(StandardCharsets.ISO_8859_1));
        return Arbitraries.frequencyOf(
                Tuple.of(6, mutated), Tuple.of(2, random), Tuple.of(2, printable));
    }

    /** Replaces, inserts, deletes and repeats bytes of a valid request. */
    private static byte[] mutate(byte[] seed, int mutations, long randomSeed) {
        Random random = new Random(randomSeed);
        byte[] bytes = seed;
        for (int m = 0; m < mutations; m++) {
            int at = random.nextInt(bytes.length);
            int resumeAt = at;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(bytes, 0, at);
            switch (random.nextInt(5)) {
                case 0 -> {                                                           // replace one byte
                    out.write(random.nextInt(256));
                    resumeAt = at + 1;
                }
                case 1 -> out.write(random.nextInt(256));                              // insert one byte
                case 2 -> resumeAt = Math.min(bytes.length, at + 1 + random.nextInt(8)); // delete a few
                case 3 -> out.write(bytes, at, Math.min(bytes.length - at, 1 + random.nextInt(40))); // repeat a span
                default -> out.write("\r\n:%\u0000 ".charAt(random.nextInt(6)));       // insert a byte that means something
            }
            out.write(bytes, resumeAt, bytes.length - resumeAt);
            bytes = out.size() == 0 ? seed : out.toByteArray();
        }
        return bytes;
    }

    /** Sends the bytes, half-closes, and reads until the server closes: it must, within seconds. */
    private static String exchange(byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", service.port()), 5_000);
            socket.setSoTimeout(5_000);
            try {
                socket.getOutputStream().write(request);
                socket.shutdownOutput();
            } catch (IOException closedEarly) {
                // The server may refuse before it took everything.
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    answer.write(buffer, 0, n);
                }
            } catch (SocketException reset) {
                // A reset ends the answer as well as a close does.
            } catch (SocketTimeoutException hung) {
                throw new AssertionError("no close within 5 s after "
                        + new String(request, StandardCharsets.ISO_8859_1), hung);
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static void assertNormalDownload() throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("GET /archive/gallery/ HTTP/1.1\r\nHost: localhost\r\n\r\n");
            RawHttp.Head head = http.readHead();
            assertThat(head.code()).isEqualTo(200);
            assertThat(http.readExactly((int) head.contentLength())).hasSize((int) head.contentLength());
        }
    }
}
