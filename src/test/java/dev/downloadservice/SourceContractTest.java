package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.FolderStore;
import dev.downloadservice.testing.FolderStore.Kind;
import dev.downloadservice.testing.ManifestReader;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One suite of archive behaviours, run against each source (a local directory, an S3
 * bucket in each store of {@link Kind}), so that they cannot drift apart. Each source is
 * served by two replicas of the service, as behind a load balancer; every check goes over
 * real HTTP on loopback.
 */
class SourceContractTest {

    /** Big enough that a download cut after its first MiB has not read the last file yet. */
    private static final int CHANGING_FILE = 4 << 20;

    @TempDir
    static Path temp;
    private static final Map<Kind, Source> sources = new EnumMap<>(Kind.class);
    /** The gallery's files as the test put them: what every archive must hold, worked out independently. */
    private static final Map<String, byte[]> gallery = new LinkedHashMap<>();
    /** Names that are left out of archives: hidden. */
    private static final List<String> leftOut = List.of(".hidden.txt", "sub/.git/config");

    /**
     * Names on disk or in the bucket that Windows cannot extract or macOS takes for one, and the names each must
     * have in the archive (README, "Names that extract everywhere"): worked out by hand, not by the code.
     */
    private static final Map<String, String> portableNames = Map.ofEntries(
            Map.entry("a:b.jpg", "a_b (2).jpg"), // a_b.jpg is there already, and keeps its name
            Map.entry("a_b.jpg", "a_b.jpg"),
            Map.entry("star*.jpg", "star_.jpg"),
            Map.entry("q?.jpg", "q_.jpg"),
            Map.entry("CON.jpg", "_CON.jpg"),
            Map.entry("con.tar.gz", "_con.tar.gz"),
            Map.entry("trailing dot.", "trailing dot"),
            Map.entry("Case.jpg", "Case.jpg"),
            Map.entry("case.jpg", "case (2).jpg"),
            Map.entry("A.jpg", "A.jpg"),
            Map.entry("a.jpg", "a (3).jpg"), // a (2).jpg is taken
            Map.entry("a (2).jpg", "a (2).jpg"),
            Map.entry("cafe\u0301.jpg", "caf\u00e9 (2).jpg"), // NFD, as macOS uploads by FTP: the NFC spelling keeps its name
            Map.entry("caf\u00e9.jpg", "caf\u00e9.jpg"),
            Map.entry("Sub/x.jpg", "Sub/x.jpg"),
            Map.entry("sub/y.jpg", "sub (2)/y.jpg"), // a folder renamed, not merged
            Map.entry("folder./nul", "folder/_nul"),
            // What --entry-names original leaves out. A backslash is part of one name, never a folder separator.
            Map.entry("dir\\photo.jpg", "dir_photo.jpg"), // as an FTP client from Windows uploads dir\photo.jpg
            Map.entry("x\\y.jpg", "x_y (2).jpg"), // x_y.jpg is there already, and keeps its name
            Map.entry("x_y.jpg", "x_y.jpg"),
            Map.entry("bell\u0007.txt", "bell_.txt"),
            Map.entry("tab\there.txt", "tab_here.txt"),
            Map.entry("back\\slash folder/inside.jpg", "back_slash folder/inside.jpg"));

    /** Whether --entry-names original leaves the file out: a backslash or a control character in its path. */
    private static boolean leftOutAsTheyAre(String name) {
        return name.matches("(?s).*[\\\\\\x00-\\x1F\\x7F].*");
    }

    private final HttpClient client = HttpClient.newHttpClient();

    /** A source with its files, served by two replicas. */
    private record Source(FolderStore store, TestService replica, TestService otherReplica) {
    }

    @BeforeAll
    static void start() throws Exception {
        gallery.put("a.jpg", TestFiles.randomBytes(300_000, 1));       // larger than a batch: read in chunks
        gallery.put("big photo.jpg", TestFiles.randomBytes(3_000_000, 2)); // several chunks; the middle of the archive
        gallery.put("b.txt", "hello".getBytes());
        gallery.put("empty.txt", new byte[0]);
        gallery.put("sub/dir/c.txt", TestFiles.randomBytes(10_000, 3));
        gallery.put("Фото на пляже.jpg", TestFiles.randomBytes(5_000, 4));
        gallery.put("写真/夏.png", TestFiles.randomBytes(6_000, 5));
        gallery.put("caf\u00e9.txt", TestFiles.randomBytes(10, 6));
        for (Kind kind : Kind.values()) {
            if (!kind.isInstalled()) {
                continue;
            }
            FolderStore store = FolderStore.create(kind, Files.createDirectories(temp.resolve(kind.name())));
            for (Map.Entry<String, byte[]> file : gallery.entrySet()) {
                store.put("gallery", file.getKey(), file.getValue());
            }
            for (String name : leftOut) {
                store.put("gallery", name, "must not be in the archive".getBytes());
            }
            store.putEmptyFolder("empty-gallery");
            for (String name : portableNames.keySet()) {
                store.put("names", name, content(name));
            }
            sources.put(kind, new Source(store, TestService.start(store.args()), TestService.start(store.args())));
        }
    }

    /** The kind's source; a kind whose store this machine lacks is skipped, and says which. */
    private static Source source(Kind kind) {
        assumeTrue(sources.containsKey(kind), () -> kind + ": " + kind.whatIsMissing());
        return sources.get(kind);
    }

    @AfterAll
    static void stop() throws Exception {
        for (Source source : sources.values()) {
            source.replica().close();
            source.otherReplica().close();
            source.store().close();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void download_everyReaderFindsTheFilesAndNothingElse(Kind kind) throws Exception {
        Path zip = source(kind).replica().download("gallery", temp.resolve(kind + "-gallery.zip"));

        for (ZipReader reader : ZipReader.values()) {
            reader.check(zip, ExpectedEntry.fromFiles(gallery));
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void emptyFolder_anEmptyArchiveEveryReaderOpens(Kind kind) throws Exception {
        assumeTrue(kind.listsEmptyFolders(), kind + " does not list a folder that holds nothing");
        Path zip = source(kind).replica().download("empty-gallery", temp.resolve(kind + "-empty.zip"));

        for (ZipReader reader : ZipReader.values()) {
            reader.check(zip, List.of());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void missingFolder_404(Kind kind) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                source(kind).replica().uri("/archive/no-such-gallery/")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(404);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void replicas_sameBytesAndSameEtag(Kind kind) throws Exception {
        HttpResponse<byte[]> one = get(source(kind).replica(), null, null);
        HttpResponse<byte[]> other = get(source(kind).otherReplica(), null, null);

        assertThat(one.headers().firstValue("etag")).isPresent().isEqualTo(other.headers().firstValue("etag"));
        assertThat(one.headers().firstValue("last-modified")).isEqualTo(other.headers().firstValue("last-modified"));
        assertThat(one.body()).isEqualTo(other.body());
    }

    /** A form's selection on one replica is the GET's on the other: the chosen files and their folders, no other. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void selection_postedOnOneReplica_theGetOnTheOther_exactlyTheChosenFiles(Kind kind) throws Exception {
        Source source = source(kind);
        List<String> chosen = List.of("sub/dir/c.txt", "Фото на пляже.jpg", "b.txt");
        String fields = chosen.stream().map(f -> "file=" + URLEncoder.encode(f, StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpResponse<byte[]> posted = client.send(HttpRequest.newBuilder(source.replica().uri("/archive/gallery/"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(fields)).build(), HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> got = client.send(HttpRequest.newBuilder(source.otherReplica().uri("/archive/gallery/?"
                + fields)).build(), HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<String> hidden = client.send(HttpRequest.newBuilder(source.replica().uri(
                "/archive/gallery/?file=b.txt&file=.hidden.txt")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(posted.statusCode()).isEqualTo(200);
        assertThat(posted.body()).isEqualTo(got.body());
        assertThat(posted.headers().firstValue("etag")).isPresent().isEqualTo(got.headers().firstValue("etag"));
        Path zip = Files.write(temp.resolve(kind + "-selection.zip"), posted.body());
        Map<String, byte[]> expected = new LinkedHashMap<>();
        chosen.forEach(name -> expected.put(name, gallery.get(name)));
        for (ZipReader reader : List.of(ZipReader.ZIPINFO, ZipReader.JDK_ZIP_FILE)) { // all of them: SelectionHttpTest
            reader.check(zip, ExpectedEntry.fromFiles(expected));
        }
        assertThat(hidden.statusCode()).isEqualTo(404);
        assertThat(hidden.body()).isEqualTo("No such file in this folder: .hidden.txt\n");
    }

    /** A download cut in the middle of a large file and resumed on the other replica is the same archive. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void range_resumedOnTheOtherReplica_concatenationIsTheArchive(Kind kind) throws Exception {
        Source source = source(kind);
        HttpResponse<byte[]> whole = get(source.replica(), null, null);
        String etag = whole.headers().firstValue("etag").orElseThrow();
        int middle = whole.body().length / 2;

        HttpResponse<byte[]> first = get(source.replica(), "bytes=0-" + (middle - 1), etag);
        HttpResponse<byte[]> rest = get(source.otherReplica(), "bytes=" + middle + "-", etag);

        assertThat(first.statusCode()).isEqualTo(206);
        assertThat(rest.statusCode()).isEqualTo(206);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        joined.write(first.body());
        joined.write(rest.body());
        assertThat(joined.toByteArray()).isEqualTo(whole.body());
        Path zip = Files.write(temp.resolve(kind + "-joined.zip"), joined.toByteArray());
        ZipReader.JDK_ZIP_FILE.check(zip, ExpectedEntry.fromFiles(gallery));
    }

    /** An object uploaded again while the archive is sent must not complete the download with mixed bytes. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void fileReplaced_midDownload_abortedBeforeContentLength(Kind kind) throws Exception {
        Source source = source(kind);
        String folder = "changing-" + kind.name().toLowerCase();
        for (int i = 1; i <= 4; i++) {
            source.store().put(folder, i + ".bin", TestFiles.randomBytes(CHANGING_FILE, i));
        }
        // Between them and the file changed, more than a download reads ahead of its client from a store
        // (64 MiB): else the listed version may be read whole before the change, and rightly sent.
        source.store().put(folder, "3a.bin", TestFiles.randomBytes(80 << 20, 6));
        int port = source.replica().port();
        double changedBefore = ServiceMetrics.downloadsEnded(port, "file_changed"); // the replica serves every test
        try (RawHttp http = RawHttp.connect(port, 64 * 1024)) {
            long received = http.cutByChange("/archive/" + folder + "/", 1 << 20, // same size, other bytes:
                    () -> source.store().put(folder, "4.bin", TestFiles.randomBytes(CHANGING_FILE, 5)));

            assertThat(received).as("everything before the changed file arrived").isGreaterThan(3L * CHANGING_FILE);
            ServiceMetrics.awaitDownloadsEnded(port, "file_changed", changedBefore + 1);
        }
    }

    /**
     * The names in the archive are the portable ones, the same on every replica, and 7-Zip and Info-ZIP extract
     * every file under its own name with its bytes. (On Linux neither refuses a ':'; what this proves is that the
     * archive holds no name Windows refuses, and no two that a case-insensitive disk takes for one.)
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void portableNames_everyExtractorWritesEveryFileUnderItsOwnName(Kind kind) throws Exception {
        Source source = source(kind);
        Path zip = source.replica().download("names", temp.resolve(kind + "-names.zip"));
        Path fromOtherReplica = source.otherReplica().download("names", temp.resolve(kind + "-names-other.zip"));
        Map<String, byte[]> expected = new LinkedHashMap<>();
        portableNames.forEach((onDisk, inArchive) -> expected.put(inArchive, content(onDisk)));

        assertThat(Files.readAllBytes(fromOtherReplica)).isEqualTo(Files.readAllBytes(zip));
        ZipReader.ZIPINFO.check(zip, ExpectedEntry.fromFiles(expected));
        for (String[] extract : List.of(new String[] {"7z", "x", "-o%s", zip.toString()},
                new String[] {"unzip", "-q", zip.toString(), "-d", "%s"})) {
            Path into = Files.createDirectory(temp.resolve(kind + "-" + extract[0]));
            String[] command = Arrays.stream(extract).map(arg -> arg.replace("%s", into.toString())).toArray(String[]::new);
            Commands.Result result = Commands.run(Duration.ofMinutes(1), command);
            assertThat(result.exit()).as(result.describe()).isZero();
            assertThat(filesBelow(into)).as(extract[0]).containsExactlyInAnyOrderEntriesOf(expected);
        }
    }

    /**
     * With --entry-names original the names are as on disk, byte for byte, and the ETag is another; files with a
     * backslash or a control character in their path are left out, as before the option.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void originalNames_asOnDiskWithAnotherEtag(Kind kind) throws Exception {
        Source source = source(kind);
        List<String> args = new ArrayList<>(source.store().args());
        args.addAll(List.of("--entry-names", "original"));
        Map<String, byte[]> onDisk = new LinkedHashMap<>();
        portableNames.keySet().stream().filter(name -> !leftOutAsTheyAre(name))
                .forEach(name -> onDisk.put(name, content(name)));
        assertThat(onDisk).hasSize(portableNames.size() - 5);
        try (TestService original = TestService.start(args)) {
            Path zip = original.download("names", temp.resolve(kind + "-names-original.zip"));

            ZipReader.ZIPINFO.check(zip, ExpectedEntry.fromFiles(onDisk));
            assertThat(etag(original, "names")).isNotEqualTo(etag(source.replica(), "names"));
            assertThat(etag(original, "gallery")).as("no name to change").isEqualTo(etag(source.replica(), "gallery"));
        }
    }

    /**
     * The manifest describes the very archive a GET of the same link sends, whole folder or selection: its length
     * is the bytes that arrive, its ETag the archive's, its entries the names (the portable ones: an NFD name on
     * disk is NFC there), sizes and times Python's zipfile reads from the archive; a HEAD and a 304 say the same.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void manifest_describesTheArchiveTheSameLinkSends(Kind kind) throws Exception {
        Source source = source(kind);
        String picked = "names/?file=dir%5Cphoto.jpg&file=bell%07.txt&file=x%5Cy.jpg&file=x_y.jpg&name=Picked";
        Map<String, String> savedAs = Map.of("names/", "names.zip",
                "gallery/?file=b.txt&file=sub/dir/c.txt&name=Holiday", "Holiday.zip", picked, "Picked.zip");
        for (Map.Entry<String, String> link : savedAs.entrySet()) {
            String archive = "/archive/" + link.getKey();
            String manifest = archive + (archive.contains("?") ? "&" : "?") + "list";
            HttpResponse<byte[]> listed = client.send(HttpRequest.newBuilder(source.replica().uri(manifest)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            HttpResponse<byte[]> sent = client.send(HttpRequest.newBuilder(source.otherReplica().uri(archive)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            String etag = sent.headers().firstValue("etag").orElseThrow();

            assertThat(listed.statusCode()).as(manifest).isEqualTo(200);
            assertThat(listed.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(listed.headers().firstValueAsLong("content-length")).hasValue(listed.body().length);
            assertThat(listed.headers().firstValue("etag")).hasValue(etag);
            assertThat(listed.headers().firstValue("last-modified")).isEqualTo(sent.headers().firstValue("last-modified"));
            assertThat(listed.headers().firstValue("cache-control")).hasValue("private");
            assertThat(listed.headers().firstValue("content-disposition")).isEmpty();
            assertThat(sent.headers().firstValueAsLong("content-length")).hasValue(sent.body().length);
            Path zip = Files.write(temp.resolve(kind + "-listed.zip"), sent.body());
            List<String> names = ManifestReader.checkAgainst(listed.body(), zip, etag, link.getValue());
            if (link.getKey().equals("names/")) {
                assertThat(names).containsAll(portableNames.values()).doesNotContain("cafe\u0301.jpg");
            }
            if (link.getKey().equals(picked)) {
                // Chosen by their paths on disk, %-encoded; listed and sent under their names in the archive.
                assertThat(names).containsExactly("bell_.txt", "dir_photo.jpg", "x_y (2).jpg", "x_y.jpg");
                ZipReader.ZIPINFO.check(zip, ExpectedEntry.fromFiles(Map.of("bell_.txt", content("bell\u0007.txt"),
                        "dir_photo.jpg", content("dir\\photo.jpg"), "x_y (2).jpg", content("x\\y.jpg"),
                        "x_y.jpg", content("x_y.jpg"))));
            }
            HttpResponse<Void> head = client.send(HttpRequest.newBuilder(source.replica().uri(manifest))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().map()).isEqualTo(listed.headers().map());
            HttpResponse<byte[]> unchanged = client.send(HttpRequest.newBuilder(source.replica().uri(manifest))
                    .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(unchanged.statusCode()).isEqualTo(304);
            assertThat(unchanged.headers().firstValue("etag")).hasValue(etag);
            assertThat(unchanged.body()).isEmpty();
        }
    }

    /** Every file's content names it, so that a file under another's name shows. */
    private static byte[] content(String name) {
        return ("the file " + name).getBytes(StandardCharsets.UTF_8);
    }

    /** Path relative to {@code dir} → bytes, of every regular file below it. */
    private static Map<String, byte[]> filesBelow(Path dir) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path file : paths.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(file).toString(), Files.readAllBytes(file));
            }
        }
        return files;
    }

    private String etag(TestService service, String folder) throws Exception {
        HttpResponse<Void> response = client.send(HttpRequest.newBuilder(service.uri("/archive/" + folder + "/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.headers().firstValue("etag").orElseThrow();
    }

    private HttpResponse<byte[]> get(TestService service, String range, String ifRange) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(service.uri("/archive/gallery/"));
        if (range != null) {
            request.header("Range", range).header("If-Range", ifRange);
        }
        HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isIn(200, 206);
        return response;
    }
}
