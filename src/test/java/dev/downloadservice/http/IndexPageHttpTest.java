package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page at {@code /} on a root that holds the bundled samples (a copy of test_photos/, with a file whose name
 * is markup and a folder that is not a sample): a gallery of each sample whose form downloads what is ticked, and
 * nothing of any other folder. The browser's side of it: BrowserIT.
 */
class IndexPageHttpTest {

    private static final String FIRST = "3bea29ccabbbf64bdebcc055319c5745";
    private static final String SECOND = "af1ad8c76fda2e48ea9aed2937e972ea";
    private static final String MARKUP = "<b>\"quoted\" & 'single'.png";
    private static final String OTHER = "other-gallery-0123456789";
    private static final Pattern CHECKBOX = Pattern.compile("<input type=\"checkbox\" name=\"file\" value=\"([^\"]*)\">");

    @TempDir
    static Path root;
    @TempDir
    static Path downloads;
    private static TestService service;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        copy(Path.of("test_photos"), root);
        Files.writeString(root.resolve(FIRST).resolve(MARKUP), "a name that is markup");
        Files.writeString(Files.createDirectory(root.resolve(OTHER)).resolve("private.jpg"), "not on the page");
        service = TestService.startAsReleased(List.of("--path", root.toString()));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @Test
    void index_samples_aFormForEachWithACheckboxForEveryFile() throws Exception {
        String page = page(service);

        for (String sample : List.of(FIRST, SECOND)) {
            assertThat(page).contains("<form method=\"post\" action=\"archive/" + sample + "/\">",
                    "<a href=\"archive/" + sample + "/\">Download all</a>");
            assertThat(filesOnThePage(page, sample)).containsExactlyInAnyOrderElementsOf(filesOnDisk(sample));
        }
        assertThat(page).contains("<input type=\"text\" name=\"name\"", "<button type=\"submit\">Download selected");
    }

    @Test
    void index_samples_selfContained() throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(service.uri("/")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.headers().firstValue("content-security-policy"))
                .hasValue("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
        assertThat(response.body()).doesNotContain("<script", "<link", "src=", "http:", "https:", "href=\"/");
    }

    @Test
    void index_otherFolders_neverOnThePage() throws Exception {
        assertThat(page(service)).doesNotContain(OTHER, "private.jpg");
    }

    @Test
    void index_nameThatIsMarkup_escapedInTextAndValue() throws Exception {
        String page = page(service);

        assertThat(page).doesNotContain("<b>").contains("&lt;b&gt;&quot;quoted&quot; &amp; &#39;single&#39;.png");
        assertThat(filesOnThePage(page, FIRST)).contains(MARKUP);
    }

    /** What a browser sends for two boxes ticked and a name typed: the archive of those two, under that name. */
    @Test
    void index_formPosted_theArchiveOfTheFilesTickedUnderTheNameTyped() throws Exception {
        List<String> ticked = List.of("evening/sunset 2.png", "Фото на пляже.png");
        assertThat(filesOnThePage(page(service), SECOND)).containsAll(ticked);
        StringBuilder form = new StringBuilder("name=" + URLEncoder.encode("Summer 2026", StandardCharsets.UTF_8));
        Map<String, byte[]> expected = new LinkedHashMap<>();
        for (String file : ticked) {
            form.append("&file=").append(URLEncoder.encode(file, StandardCharsets.UTF_8));
            expected.put(file, Files.readAllBytes(root.resolve(SECOND).resolve(file)));
        }

        HttpResponse<Path> response = client.send(HttpRequest.newBuilder(service.uri("/archive/" + SECOND + "/"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(),
                HttpResponse.BodyHandlers.ofFile(downloads.resolve("posted.zip")));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-disposition")).hasValue("attachment; filename=\"Summer 2026.zip\"");
        ZipReader.PYTHON_ZIPFILE.check(response.body(), ExpectedEntry.fromFiles(expected));
    }

    /** Links would be refused unsigned, and a page that handed out signed ones would undo the signing. */
    @Test
    void index_signedLinks_noGallery() throws Exception {
        try (TestService signed = TestService.startAsReleased(List.of("--path", root.toString(),
                "--secure-link-secret", "a secret of the test"))) {
            assertThat(page(signed)).doesNotContain("<form", "href=", FIRST, SECOND);
        }
    }

    /** A pattern that does not admit the samples' names: they cannot be downloaded, so they are not offered. */
    @Test
    void index_patternThatRefusesTheSamples_noGallery() throws Exception {
        try (TestService strict = TestService.start(root, "--hash-pattern", "[a-f0-9]{40}")) {
            assertThat(page(strict)).doesNotContain("<form", "href=", FIRST, SECOND);
        }
    }

    private String page(TestService on) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(on.uri("/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        return response.body();
    }

    /** The values of the checkboxes in the sample's form, unescaped as a browser reads them. */
    private static List<String> filesOnThePage(String page, String sample) {
        int from = page.indexOf("action=\"archive/" + sample + "/\"");
        assertThat(from).as("the form of " + sample).isNotNegative();
        String form = page.substring(from, page.indexOf("</form>", from));
        Matcher values = CHECKBOX.matcher(form);
        return values.results().map(value -> value.group(1).replace("&lt;", "<").replace("&gt;", ">")
                .replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")).toList();
    }

    private static List<String> filesOnDisk(String sample) throws Exception {
        Path folder = root.resolve(sample);
        try (Stream<Path> paths = Files.walk(folder)) {
            return paths.filter(Files::isRegularFile).map(p -> folder.relativize(p).toString()).toList();
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }
}
