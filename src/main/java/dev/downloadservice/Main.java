package dev.downloadservice;

import ch.qos.logback.classic.Level;
import dev.downloadservice.config.Config;
import dev.downloadservice.config.Options;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Parses the command line, starts the service, runs until SIGTERM or SIGINT. */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int exitCode = Options.run(args, System.getenv(), Main::serve, out, err);
        System.exit(exitCode);
    }

    private static int serve(Config config) {
        if (config.debug()) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.DEBUG);
        }
        String nameEncoding = System.getProperty("sun.jnu.encoding");
        if (!"UTF-8".equalsIgnoreCase(nameEncoding)) {
            log.warn("file names are decoded as {}, not UTF-8: names that are not ASCII will be left out."
                    + " Start the service with LANG=C.UTF-8", nameEncoding);
        }
        try {
            Service service = Service.start(config);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    service.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    log.warn("closing the root folder failed: {}", e.toString());
                }
            }, "shutdown"));
            log.info("serving {} on http://{}:{}/archive/<hash>/ (delay {} s)",
                    config.path(), config.host(), service.port(), config.delay().toMillis() / 1000.0);
            service.awaitClose();
            return 0;
        } catch (Exception e) {
            log.error("could not start: {}", e.toString());
            return 1;
        }
    }
}
