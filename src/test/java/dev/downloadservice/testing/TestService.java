package dev.downloadservice.testing;

import dev.downloadservice.Service;
import dev.downloadservice.config.Options;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real service on 127.0.0.1 and a free port, configured through the real command line. Folder names in tests
 * say what a folder is for ({@code gallery}), so every name a link can take is served unless the test gives its
 * own --hash-pattern; the released default, which admits only names too long to guess, is started by
 * {@link #startAsReleased} (HashPatternHttpTest, JarIT).
 */
public final class TestService implements AutoCloseable {

    /** The released pattern's alphabet, from one character on: short names such as {@code gallery} are served. */
    public static final String ANY_NAME = "[A-Za-z0-9_-]{1,128}";

    private final Service service;

    private TestService(Service service) {
        this.service = service;
    }

    public static TestService start(Path root, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--path", root.toString()));
        args.addAll(List.of(extraArgs));
        return start(args);
    }

    /** The service with these options (a --path among them) on loopback, serving short names too. */
    public static TestService start(List<String> options) throws Exception {
        List<String> args = new ArrayList<>(options);
        if (!options.contains("--hash-pattern")) {
            args.addAll(List.of("--hash-pattern", ANY_NAME));
        }
        return startAsReleased(args);
    }

    /** The service with these options and the defaults of the others as released, --hash-pattern's included. */
    public static TestService startAsReleased(List<String> options) throws Exception {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0"));
        args.addAll(options);
        return new TestService(Service.start(Options.parse(args.toArray(String[]::new), Map.of())));
    }

    public int port() {
        return service.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /**
     * Downloads {@code /archive/<folder>/} into {@code file}, checking the status and
     * that exactly Content-Length bytes arrived.
     */
    public Path download(String folder, Path file) throws Exception {
        HttpResponse<Path> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(uri("/archive/" + folder + "/")).build(), HttpResponse.BodyHandlers.ofFile(file));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(Files.size(file));
        return file;
    }

    /** An archive downloaded whole, and what every reader must find in it. */
    public record Downloaded(Path zip, List<ExpectedEntry> expected) {
    }

    /**
     * Downloads {@code root/<folder>} into {@code root/<folder>.zip} from a service started
     * for just that, for tests that check one big archive many ways.
     */
    public static Downloaded downloadOnce(Path root, String folder) throws Exception {
        List<ExpectedEntry> expected = ExpectedEntry.fromFolder(root.resolve(folder));
        try (TestService service = start(root)) {
            return new Downloaded(service.download(folder, root.resolve(folder + ".zip")), expected);
        }
    }

    public Service service() {
        return service;
    }

    @Override
    public void close() throws Exception {
        service.close();
    }
}
