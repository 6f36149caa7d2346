package dev.downloadservice.testing;

import dev.downloadservice.Service;
import dev.downloadservice.config.Options;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The real service on 127.0.0.1 and a free port, configured through the real command line. */
public final class TestService implements AutoCloseable {

    private final Service service;

    private TestService(Service service) {
        this.service = service;
    }

    public static TestService start(Path root, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--path", root.toString(), "--host", "127.0.0.1", "--port", "0"));
        args.addAll(List.of(extraArgs));
        return new TestService(Service.start(Options.parse(args.toArray(String[]::new), Map.of())));
    }

    public int port() {
        return service.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public Service service() {
        return service;
    }

    @Override
    public void close() throws Exception {
        service.close();
    }
}
