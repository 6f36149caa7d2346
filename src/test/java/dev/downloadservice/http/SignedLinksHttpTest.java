package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.Commands;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.RawHttp;
import dev.downloadservice.testing.ServiceMetrics;
import dev.downloadservice.testing.TestFiles;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed links over real HTTP, made as README.md tells a site to make them (its shell, Python and PHP blocks are
 * run as they are written): the link's archive is served; a link without a signature, or with a wrong one, is a
 * 403 before the folder is looked for; an expired one a 410, unless it resumes within the grace the very archive
 * its download began with. The rules themselves, for any secret, path and time: SignedLinksProperties.
 */
class SignedLinksHttpTest {

    private static final String SECRET = "a secret: with spaces, ümlauts & \"quotes\"";
    private static final String HASH = "Gallery_2024-signed";
    private static final long GRACE_SECONDS = 3600;
    private static final Pattern FENCED = Pattern.compile("(?s)```(\\w+)\\n(.*?)```");

    @TempDir
    static Path root;
    private static Path secretFile;
    private static TestService service;
    /** The whole archive, and its ETag, as a good link gets it. */
    private static byte[] whole;
    private static String etag;

    @BeforeAll
    static void start() throws Exception {
        Path photos = Files.createDirectories(root.resolve("photos"));
        Path folder = Files.createDirectories(photos.resolve(HASH + "/sub"));
        TestFiles.random(photos.resolve(HASH + "/photo1.jpg"), 300_000, 1);
        TestFiles.random(folder.resolve("photo2.jpg"), 200_000, 2);
        secretFile = Files.writeString(root.resolve("secret"), SECRET + "\n");
        service = TestService.start(photos, "--secure-link-secret-file", secretFile.toString(),
                "--secure-link-grace", Long.toString(GRACE_SECONDS));
        RawHttp.Response response = get(signed(Instant.now().getEpochSecond() + 600), "");
        assertThat(response.code()).isEqualTo(200);
        whole = response.body();
        etag = response.head().headers().get("etag");
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @Test
    void shellBlockOfTheReadme_md5AndSigLinks_theArchive() throws Exception {
        List<String> links = readmeBlock("sh", "openssl md5", "sh", "-c");

        assertThat(links).hasSize(2).allSatisfy(link -> assertThat(link).matches(
                "/archive/" + HASH + "/\\?expires=\\d+&(md5=[A-Za-z0-9_-]{22}|sig=[A-Za-z0-9_-]{43})"));
        assertEachServesTheArchive(links);
        Path zip = Files.write(root.resolve("signed.zip"), whole);
        ZipReader.UNZIP_TEST.check(zip, ExpectedEntry.fromFolder(root.resolve("photos/" + HASH)));
        ZipReader.PYTHON_ZIPFILE.check(zip, ExpectedEntry.fromFolder(root.resolve("photos/" + HASH)));
    }

    @Test
    void pythonBlockOfTheReadme_sigAndMd5Links_theArchive() throws Exception {
        assertEachServesTheArchive(readmeBlock("python", "hmac.new", "python3", "-c"));
    }

    /** CI's machine has no PHP; where PHP is installed, the README's block is checked too. */
    @Test
    void phpBlockOfTheReadme_sigAndMd5Links_theArchive() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/php")), "no PHP on this machine");
        assertEachServesTheArchive(readmeBlock("php", "hash_hmac", "php", "-r"));
    }

    private static void assertEachServesTheArchive(List<String> links) throws Exception {
        assertThat(links).hasSize(2);
        for (String link : links) {
            RawHttp.Response response = get(link, "");

            assertThat(response.code()).as(link).isEqualTo(200);
            assertThat(response.body()).isEqualTo(whole);
        }
    }

    @Test
    void noSignatureOrAWrongOne_403_beforeTheFolderIsLookedFor() throws Exception {
        long expires = Instant.now().getEpochSecond() + 600;
        String good = signed(expires);
        for (String link : List.of("/archive/" + HASH + "/", "/archive/" + HASH + "/?expires=" + expires,
                good.replace("sig=", "md5="), good.replace("expires=" + expires, "expires=" + (expires + 1)),
                good + "&sig=" + good.substring(good.indexOf("sig=") + 4),
                "/archive/no-such-folder/?expires=" + expires + "&sig=" + good.substring(good.indexOf("sig=") + 4))) {
            RawHttp.Response response = get(link, "");

            assertThat(response.code()).as(link).isEqualTo(403);
            assertThat(response.head().headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(response.text()).startsWith("Forbidden: ");
            assertThat(response.head().headers()).doesNotContainKey("etag");
        }
    }

    /** What the link signs is the folder: a selection or a name added to it only narrows or renames. */
    @Test
    void extraParameters_onASignedLink_served() throws Exception {
        RawHttp.Response response = get(signed(Instant.now().getEpochSecond() + 600) + "&file=photo1.jpg&name=Wedding", "");

        assertThat(response.code()).isEqualTo(200);
    }

    @Test
    void expired_410_getHeadAndEveryRequestThatIsNoResumeOfThisArchive() throws Exception {
        String expired = signed(Instant.now().getEpochSecond() - 10);
        String range = "Range: bytes=1000-1999\r\n";
        for (String headers : List.of("", range, "If-Range: " + etag + "\r\n", range + "If-Range: \"another\"\r\n",
                "Range: bytes=99999999-\r\nIf-Range: " + etag + "\r\n")) {
            RawHttp.Response response = get(expired, headers);

            assertThat(response.code()).as(headers).isEqualTo(410);
            assertThat(response.text()).isEqualTo("Gone: this link has expired\n");
        }
        RawHttp.Head head = head(expired, range + "If-Range: " + etag + "\r\n");
        assertThat(head.code()).as("a HEAD resumes nothing").isEqualTo(410);
        assertThat(get(signed(Instant.now().getEpochSecond() - GRACE_SECONDS - 10), range + "If-Range: " + etag + "\r\n")
                .code()).as("after the grace").isEqualTo(410);
    }

    /** The manifest needs the archive's signature, and resumes nothing: expired, it is a 410 whatever it carries. */
    @Test
    void manifest_unsigned403_signed200_expired410EvenWithTheHeadersOfAResume() throws Exception {
        String resume = "Range: bytes=1000-\r\nIf-Range: " + etag + "\r\n";

        assertThat(get("/archive/" + HASH + "/?list", "").code()).isEqualTo(403);
        assertThat(get(signed(Instant.now().getEpochSecond() + 600) + "&list", "").code()).isEqualTo(200);
        assertThat(get(signed(Instant.now().getEpochSecond() - 10) + "&list", resume).code()).isEqualTo(410);
        assertThat(get(signed(Instant.now().getEpochSecond() - 10), resume).code()).as("the archive's resume")
                .isEqualTo(206);
    }

    @Test
    void expired_resumeOfThisArchiveWithinTheGrace_206WithItsBytes() throws Exception {
        RawHttp.Response response = get(signed(Instant.now().getEpochSecond() - 10),
                "Range: bytes=1000-\r\nIf-Range: " + etag + "\r\n");

        assertThat(response.code()).isEqualTo(206);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(whole, 1000, whole.length));
    }

    /** A logged signature would be a working link, and with its path and time a way to guess the secret. */
    @Test
    void accessLog_keepsTheLinkButNotItsSignature() throws Exception {
        long expires = Instant.now().getEpochSecond() + 777; // no other test's link: their log lines may come late
        String link = signed(expires);
        String signature = link.substring(link.indexOf("sig=") + 4);
        try (LogCapture access = LogCapture.named("access")) {
            get(link, "");

            String line = access.await(l -> l.contains("/archive/" + HASH + "/?expires=" + expires + "&"),
                    Duration.ofSeconds(10));
            assertThat(line).contains("&sig=REDACTED ").doesNotContain(signature);
        }
    }

    /** Counted by why, from 0 at start (an alert on an increase needs the 0), and by status. */
    @Test
    void metrics_refusalsCountedByReasonAndStatus() throws Exception {
        try (TestService fresh = TestService.start(root.resolve("photos"), "--secure-link-secret-file",
                secretFile.toString())) {
            String expired = signed(Instant.now().getEpochSecond() - 10);
            String wrong = signed(Instant.now().getEpochSecond() + 600).replace("sig=", "sig=x");
            for (String link : List.of("/archive/" + HASH + "/", wrong, wrong, expired)) {
                RawHttp.exchange(fresh.port(), "GET " + link + " HTTP/1.1\r\nHost: x\r\n\r\n");
            }

            assertThat(ServiceMetrics.scrape(fresh.port()).lines()).contains(
                    "signed_links_refused_total{reason=\"missing\"} 1.0",
                    "signed_links_refused_total{reason=\"wrong\"} 2.0",
                    "signed_links_refused_total{reason=\"expired\"} 1.0",
                    "requests_refused_total{status=\"403\"} 3.0",
                    "requests_refused_total{status=\"410\"} 1.0");
        }
    }

    private static RawHttp.Response get(String target, String headers) throws Exception {
        return RawHttp.exchange(service.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
    }

    private static RawHttp.Head head(String target, String headers) throws Exception {
        try (RawHttp http = RawHttp.connect(service.port(), 0)) {
            http.send("HEAD " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
            return http.readHead();
        }
    }

    /** A sig= link to the test's folder that expires at {@code expires}, made as the README says. */
    private static String signed(long expires) throws Exception {
        String path = "/archive/" + HASH + "/";
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] digest = mac.doFinal((expires + path).getBytes(StandardCharsets.UTF_8));
        return path + "?expires=" + expires + "&sig=" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    /**
     * Runs the README's fenced block of {@code language} that holds {@code marker}, as it is written, with the
     * secret and the folder in SECRET and HASH; returns the lines it prints, the links.
     */
    private static List<String> readmeBlock(String language, String marker, String... interpreter) throws Exception {
        Matcher blocks = FENCED.matcher(Files.readString(Path.of("README.md")));
        String code = null;
        while (blocks.find()) {
            if (blocks.group(1).equals(language) && blocks.group(2).contains(marker)) {
                code = blocks.group(2);
            }
        }
        assertThat(code).as("README.md's " + language + " block with " + marker).isNotNull();
        String[] command = Arrays.copyOf(interpreter, interpreter.length + 1);
        command[interpreter.length] = language.equals("php") ? code.replaceFirst("^<\\?php\\n", "") : code;
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(Map.of("SECRET", SECRET, "HASH", HASH));
        Commands.Result result = Commands.run(Duration.ofSeconds(30), builder);
        assertThat(result.exit()).as(result.describe()).isZero();
        return result.out().lines().toList();
    }
}
