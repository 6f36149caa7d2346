package dev.downloadservice;

import ch.qos.logback.classic.Level;
import dev.downloadservice.config.BuildInfo;
import dev.downloadservice.config.Config;
import dev.downloadservice.config.Options;
import dev.downloadservice.logs.AccessLogFile;
import dev.downloadservice.logs.RefusalStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Parses the command line, starts the service, runs until SIGTERM or SIGINT; SIGHUP reopens the access log. */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);
    private static final String NETTY_MACHINE_ID = "io.netty.machineId";

    private Main() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, /* autoFlush= */ true, StandardCharsets.UTF_8);
        PrintWriter err = RefusalStream.of(System.err);
        int exitCode = Options.run(args, System.getenv(), Main::serve, out, err);
        System.exit(exitCode);
    }

    private static int serve(Config config) {
        if (config.logging().debug()) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.DEBUG);
        }
        BuildInfo build = BuildInfo.current();
        log.info("{}, on Java {}", build, Runtime.version());
        Optional<AccessLogFile> accessLog;
        try {
            accessLog = accessLogFile(config);
        } catch (IOException e) {
            log.error("--access-log (env ACCESS_LOG): cannot open {} for appending: {}",
                    config.logging().accessLog().orElseThrow(), e.toString());
            return 2;
        }
        // SIGHUP reopens the access log (logrotate); without this the JVM would exit 129 at once.
        Signal.handle(new Signal("HUP"), received -> reopen(accessLog));
        String nameEncoding = System.getProperty("sun.jnu.encoding");
        if (!"UTF-8".equalsIgnoreCase(nameEncoding)) {
            log.warn("file names are decoded as {}, not UTF-8: names that are not ASCII will be left out."
                    + " Start the service with LANG=C.UTF-8", nameEncoding);
        }
        giveNettyAMachineId();
        ServiceManager manager = ServiceManager.fromEnvironment(System.getenv());
        try {
            Service service = Service.start(config);
            // SIGTERM and SIGINT drain and then exit 0 (a JVM's own handling would exit 143 after the hooks).
            for (String signal : List.of("TERM", "INT")) {
                Signal.handle(new Signal(signal), received -> stopInBackground(service, manager, received.getName()));
            }
            String serving = String.format("serving %s on http://%s:%d/archive/<hash>/ (delay %s s)%s",
                    config.archives().root(), config.listen().host(), service.port(),
                    config.archives().delay().toMillis() / 1000.0,
                    config.separateAdminPort() ? "; /metrics and /healthz on port " + service.adminPort() : "");
            log.info("{}", serving);
            manager.ready(serving);
            service.awaitClose();
            return 0;
        } catch (Exception e) {
            log.error("could not start: {}", e.toString());
            return 1;
        }
    }

    /**
     * Netty builds its channel ids from a MAC address, and warns when the host has none (a
     * container with loopback alone), so that {@code journalctl -p warning} shows a warning
     * nobody can act on. The ids are never shown: random bytes do as well.
     */
    private static void giveNettyAMachineId() {
        if (System.getProperty(NETTY_MACHINE_ID) == null) {
            byte[] id = new byte[8];
            new SecureRandom().nextBytes(id);
            System.setProperty(NETTY_MACHINE_ID, HexFormat.ofDelimiter(":").formatHex(id));
        }
    }

    private static Optional<AccessLogFile> accessLogFile(Config config) throws IOException {
        Optional<Path> file = config.logging().accessLog();
        return file.isPresent() ? Optional.of(AccessLogFile.install(file.get())) : Optional.empty();
    }

    private static void reopen(Optional<AccessLogFile> accessLog) {
        if (accessLog.isEmpty()) {
            log.info("SIGHUP: nothing to reopen (the access log goes to standard output)");
            return;
        }
        try {
            accessLog.get().reopen();
            log.info("SIGHUP: access log reopened: {}", accessLog.get().file());
        } catch (IOException e) {
            log.warn("SIGHUP: cannot reopen the access log {}, still writing to the file open until now: {}",
                    accessLog.get().file(), e.toString());
        }
    }

    /** Off the signal thread: draining takes up to the shutdown timeout. */
    private static void stopInBackground(Service service, ServiceManager manager, String signal) {
        Thread stopper = new Thread(() -> {
            log.info("SIG{}: draining", signal);
            manager.stopping();
            try {
                service.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                log.warn("closing the root folder failed: {}", e.toString());
            }
        }, "stop");
        stopper.start();
    }
}
