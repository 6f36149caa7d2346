package dev.downloadservice.http;

import dev.downloadservice.access.SignedLinks;
import dev.downloadservice.config.Config.LogFormat;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the "access" logger (standard output, see logback.xml): nginx's
 * combined format plus the request time, or one JSON object per line. What the client
 * sent is escaped, so a request can never forge a line; a signed link's signature is left out.
 */
final class AccessLog {

    private static final Logger access = LoggerFactory.getLogger("access");
    private static final DateTimeFormatter NGINX_TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.US);

    private final LogFormat format;

    AccessLog(LogFormat format) {
        this.format = format;
    }

    void log(String client, HttpRequest request, int status, long bytes, long nanos) {
        if (!access.isInfoEnabled()) {
            return;
        }
        String referer = request.headers().get(HttpHeaderNames.REFERER, "");
        String agent = request.headers().get(HttpHeaderNames.USER_AGENT, "");
        double seconds = nanos / 1e9;
        String uri = SignedLinks.redacted(request.uri());
        if (format == LogFormat.JSON) {
            access.info(String.format(Locale.ROOT, "{\"time\":\"%s\",\"client\":\"%s\",\"method\":\"%s\",\"uri\":\"%s\","
                            + "\"protocol\":\"%s\",\"status\":%d,\"bytes\":%d,\"seconds\":%.3f,\"referer\":\"%s\","
                            + "\"user_agent\":\"%s\"}", OffsetDateTime.now(), json(client), json(request.method().name()),
                    json(uri), json(request.protocolVersion().text()), status, bytes, seconds, json(referer),
                    json(agent)));
        } else {
            access.info(String.format(Locale.ROOT, "%s - - [%s] \"%s %s %s\" %d %d \"%s\" \"%s\" %.3f", quoted(client),
                    NGINX_TIME.format(ZonedDateTime.now()), quoted(request.method().name()), quoted(uri),
                    quoted(request.protocolVersion().text()), status, bytes, dashIfEmpty(quoted(referer)),
                    dashIfEmpty(quoted(agent)), seconds));
        }
    }

    /** As nginx logs a header that was not sent: log analysers expect "-", not "". */
    private static String dashIfEmpty(String value) {
        return value.isEmpty() ? "-" : value;
    }

    /** As nginx escapes: '"', '\' and bytes outside printable ASCII become \xHH. */
    static String quoted(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7F) {
                out.append(String.format("\\x%02X", c & 0xFF));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static String json(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7F || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
