package dev.downloadservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** deploy/nginx/download-service.conf, the site as the package installs it, and the few directives tests read from it. */
final class NginxSite {

    static final Path FILE = Path.of("deploy/nginx/download-service.conf");
    private static final Pattern UPSTREAM = Pattern.compile("upstream\\s+download_service\\s*\\{([^}]*)}");
    private static final Pattern UPSTREAM_SERVER = Pattern.compile("(?m)^(\\s*server\\s+127\\.0\\.0\\.1:)8080;");
    private static final Pattern KEEPALIVE_TIMEOUT = Pattern.compile("(?m)^\\s*keepalive_timeout\\s+(\\d+)(ms|s|m|h)?\\s*;");
    private static final Pattern SERVER_NAME = Pattern.compile("(?m)^\\s*server_name\\s+([^\\s;]+)");
    /** nginx's time units that a keep-alive timeout would use; a bare number is seconds. */
    private static final Map<String, ChronoUnit> UNITS = Map.of("ms", ChronoUnit.MILLIS, "s", ChronoUnit.SECONDS,
            "m", ChronoUnit.MINUTES, "h", ChronoUnit.HOURS);

    private final String text;
    /** The text without its comments, which quote directive names. */
    private final String directives;

    private NginxSite(String text) {
        this.text = text;
        this.directives = text.replaceAll("#[^\n]*", "");
    }

    static NginxSite read() throws IOException {
        return of(FILE);
    }

    /** The site in another place: where the package installed it. */
    static NginxSite of(Path file) throws IOException {
        return new NginxSite(Files.readString(file));
    }

    /** The first name of {@code server_name}: the Host that reaches this site rather than Debian's default. */
    String serverName() {
        return group(SERVER_NAME, directives, "server_name");
    }

    /** How long nginx keeps an idle connection to the service: {@code keepalive_timeout} in the {@code upstream}. */
    Duration upstreamKeepaliveTimeout() {
        String upstream = group(UPSTREAM, directives, "upstream download_service { }");
        Matcher timeout = KEEPALIVE_TIMEOUT.matcher(upstream);
        assertThat(timeout.find()).as("keepalive_timeout <n>[ms|s|m|h]; in the upstream of " + FILE).isTrue();
        String unit = timeout.group(2) == null ? "s" : timeout.group(2);
        return Duration.of(Long.parseLong(timeout.group(1)), UNITS.get(unit));
    }

    /** The site as installed, its upstream moved from the service's port 8080 to {@code port}. */
    String withServiceAt(int port) {
        assertThat(UPSTREAM_SERVER.matcher(text).find()).as("server 127.0.0.1:8080; in " + FILE).isTrue();
        return UPSTREAM_SERVER.matcher(text).replaceAll("$1" + port + ";");
    }

    private static String group(Pattern pattern, String text, String what) {
        Matcher matcher = pattern.matcher(text);
        assertThat(matcher.find()).as(what + " in " + FILE).isTrue();
        return matcher.group(1);
    }
}
