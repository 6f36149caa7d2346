package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's nginx ({@code /usr/sbin/nginx}) run from a copy of Debian's own {@code /etc/nginx}
 * in a temporary prefix, with one more site enabled beside Debian's default site, as an operator
 * enables it. The copy changes only what running unprivileged on a free port needs, each change
 * checked to find what it replaces, so that a change in Debian's layout fails here, loudly:
 * <ul>
 * <li>{@code nginx.conf}: {@code user} (the test's own, see {@link #userLine}), {@code pid}, the
 *     log folder {@code /var/log/nginx/} and every {@code /etc/nginx/} (the includes) into the prefix;
 * <li>every enabled site: {@code listen 80} and {@code listen [::]:80} become 127.0.0.1 and
 *     [::1] on the test's port, and no other {@code listen} may remain;
 * <li>one file more in {@code conf.d/} (which Debian includes inside {@code http {}}) moves the temp
 *     folders from {@code /var/lib/nginx/} (root's only) into the prefix;
 * <li>{@code modules}, where nginx finds what {@code modules-enabled/} loads, is Debian's.
 * </ul>
 */
public final class DebianNginx implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/sbin/nginx");
    private static final Path ETC = Path.of("/etc/nginx");
    /** Debian's nginx is built with --prefix=/usr/share/nginx: load_module's relative paths start there. */
    private static final Path DEBIAN_MODULES = Path.of("/usr/share/nginx/modules");
    private static final Pattern LISTEN_80 = Pattern.compile("(?m)^(\\s*listen\\s+)(\\[::\\]:)?80\\b");
    private static final Pattern LISTEN = Pattern.compile("(?m)^\\s*listen\\s+([^\\s;]+)");

    private final Path prefix;
    private final int port;
    private Process process;

    private DebianNginx(Path prefix, int port) {
        this.prefix = prefix;
        this.port = port;
    }

    /**
     * Copies /etc/nginx to {@code prefix}, installs {@code site} as {@code sites-available/<name>},
     * enables it by a symlink in {@code sites-enabled/} and changes the copy as the class says.
     */
    public static DebianNginx withSite(Path prefix, String name, String site) throws IOException {
        assertThat(BINARY).as("Debian's nginx (apt-get install nginx; .ci/run does)").isExecutable();
        copyTree(ETC, prefix);
        Path available = Files.writeString(prefix.resolve("sites-available").resolve(name), site);
        Path enabled = prefix.resolve("sites-enabled").resolve(name);
        Files.deleteIfExists(enabled); // this machine's own nginx may have it enabled: the copy links to the copy
        Files.createSymbolicLink(enabled, available);

        DebianNginx nginx = new DebianNginx(prefix, freePort());
        nginx.rewriteMainConfig();
        nginx.rewriteEnabledSites();
        nginx.moveTempFolders();
        Files.createSymbolicLink(prefix.resolve("modules"), DEBIAN_MODULES);
        return nginx;
    }

    /** {@code nginx -t} on the copy. */
    public Commands.Result configTest() throws IOException, InterruptedException {
        return Commands.run(Duration.ofSeconds(30), command("-t").toArray(String[]::new));
    }

    /** Starts nginx in the foreground and waits until it takes connections on the port. */
    public void start() throws IOException, InterruptedException {
        Path output = prefix.resolve("nginx.out");
        process = new ProcessBuilder(command("-g", "daemon off;"))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        for (int i = 0; i < 100 && !listening(); i++) {
            Thread.sleep(50);
        }
        assertThat(listening()).as("nginx started: " + Files.readString(output)).isTrue();
    }

    public int port() {
        return port;
    }

    /**
     * Files that nginx holds open in its proxy temp folder, where it spools a response it buffers to disk.
     * nginx deletes such a file as it creates it: only its processes' open descriptors show it.
     */
    public long openProxyTempFiles() throws IOException {
        String proxyTemp = prefix.resolve("temp/proxy") + "/";
        List<ProcessHandle> processes = Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
        long open = 0;
        for (ProcessHandle nginx : processes) {
            try (Stream<Path> descriptors = Files.list(Path.of("/proc", String.valueOf(nginx.pid()), "fd"))) {
                for (Path descriptor : descriptors.toList()) {
                    if (target(descriptor).startsWith(proxyTemp)) {
                        open++;
                    }
                }
            } catch (NoSuchFileException exited) {
                // a worker that exited in between holds nothing
            }
        }
        return open;
    }

    private static String target(Path descriptor) throws IOException {
        try {
            return Files.readSymbolicLink(descriptor).toString();
        } catch (NoSuchFileException closed) {
            return ""; // closed between the listing and now
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.destroy(); // SIGTERM: nginx's fast shutdown, workers included
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private List<String> command(String... options) {
        return Stream.concat(Stream.of(BINARY.toString(), "-p", prefix + "/", "-c", prefix.resolve("nginx.conf").toString()),
                Stream.of(options)).toList();
    }

    private void rewriteMainConfig() throws IOException {
        Path logs = Files.createDirectory(prefix.resolve("logs"));
        rewrite(prefix.resolve("nginx.conf"), config -> {
            String rewritten = replaceRequired(config, Pattern.compile("(?m)^user\\s+[^;]+;"), userLine());
            rewritten = replaceRequired(rewritten, Pattern.compile("(?m)^pid\\s+[^;]+;"),
                    "pid " + prefix.resolve("nginx.pid") + ";");
            rewritten = replaceRequired(rewritten, Pattern.compile(Pattern.quote("/var/log/nginx/")), logs + "/");
            rewritten = replaceRequired(rewritten, Pattern.compile(Pattern.quote(ETC + "/")), prefix + "/");
            assertThat(rewritten).as("nginx.conf in the copy").doesNotContain(ETC.toString(), "/var/log/", "/run/");
            return rewritten;
        });
    }

    /**
     * nginx switches its workers to the {@code user} only when started as root (then root: its workers
     * write into the test's private temporary folder); as anyone else it warns about the line.
     */
    private static String userLine() {
        return "root".equals(System.getProperty("user.name")) ? "user root;" : "";
    }

    private void rewriteEnabledSites() throws IOException {
        try (Stream<Path> sites = Files.list(prefix.resolve("sites-enabled"))) {
            for (Path site : sites.toList()) {
                Path file = site.toRealPath();
                assertThat(file).as("enabled site " + site + " lies in the copy").startsWith(prefix.toRealPath());
                rewrite(file, text -> replaceRequired(text, LISTEN_80, listen -> listen.group(1)
                        + (listen.group(2) == null ? "127.0.0.1:" : "[::1]:") + port));
                Matcher listens = LISTEN.matcher(Files.readString(file));
                while (listens.find()) {
                    assertThat(listens.group(1)).as(site + ": every listen moved to the test's port")
                            .isIn("127.0.0.1:" + port, "[::1]:" + port);
                }
            }
        }
    }

    private void moveTempFolders() throws IOException {
        Path temp = Files.createDirectory(prefix.resolve("temp"));
        StringBuilder paths = new StringBuilder("# The test's: Debian's /var/lib/nginx/ is root's only.\n");
        for (String kind : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            paths.append(kind).append("_temp_path ").append(temp.resolve(kind.replace("client_", ""))).append(";\n");
        }
        Files.writeString(prefix.resolve("conf.d/temp-paths.conf"), paths);
    }

    private static String replaceRequired(String text, Pattern pattern, String replacement) {
        return replaceRequired(text, pattern, match -> replacement);
    }

    /** Replaces every match, of which there must be one at least. */
    private static String replaceRequired(String text, Pattern pattern, Function<MatchResult, String> replacement) {
        Matcher matcher = pattern.matcher(text);
        assertThat(matcher.find()).as("expected " + pattern + " (Debian's layout) in:\n" + text).isTrue();
        return matcher.replaceAll(match -> Matcher.quoteReplacement(replacement.apply(match)));
    }

    private static void rewrite(Path file, UnaryOperator<String> change) throws IOException {
        Files.writeString(file, change.apply(Files.readString(file)));
    }

    /** Copies files and folders; a symbolic link into {@code from} (as sites-enabled/default) is made to point into the copy. */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path copy = to.resolve(from.relativize(path).toString());
                if (Files.isSymbolicLink(path)) {
                    Path target = Files.readSymbolicLink(path);
                    Files.createSymbolicLink(copy, target.startsWith(from) ? to.resolve(from.relativize(target)) : target);
                } else if (Files.isDirectory(path)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(path, copy);
                }
            }
        }
    }

    /** A port free on every address, IPv4 and IPv6, as the sites listen on both. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
