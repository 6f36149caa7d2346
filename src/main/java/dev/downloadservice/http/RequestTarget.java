package dev.downloadservice.http;

import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a request target asks for. The folder name is checked here, before it gets
 * anywhere near the file system: one path segment, matching the configured pattern,
 * never {@code .} or {@code ..}, never a separator or a control character.
 */
record RequestTarget(Route route, String folder) {

    enum Route { INDEX, ARCHIVE, ARCHIVE_WITHOUT_SLASH, METRICS, HEALTH, NOT_FOUND, BAD_REQUEST }

    static final String ARCHIVE_PREFIX = "/archive/";
    /** The absolute form's scheme and authority: {@code http://host:port}, up to the path. */
    private static final Pattern ABSOLUTE_FORM = Pattern.compile("(?i)https?://[^/?#]*");

    static RequestTarget parse(String target, Pattern folderPattern) {
        String uri = originForm(target);
        if (!uri.startsWith("/")) {
            return new RequestTarget(Route.BAD_REQUEST, null);
        }
        String path;
        try {
            // Decodes %XX (and so %2F) before splitting: an encoded slash can only add segments, which fail below.
            path = new QueryStringDecoder(uri).path();
        } catch (IllegalArgumentException malformedEscape) {
            return new RequestTarget(Route.BAD_REQUEST, null);
        }
        switch (path) {
            case "/" -> {
                return new RequestTarget(Route.INDEX, null);
            }
            case "/metrics" -> {
                return new RequestTarget(Route.METRICS, null);
            }
            case "/healthz" -> {
                return new RequestTarget(Route.HEALTH, null);
            }
            default -> {
            }
        }
        if (!path.startsWith(ARCHIVE_PREFIX)) {
            return new RequestTarget(Route.NOT_FOUND, null);
        }
        String rest = path.substring(ARCHIVE_PREFIX.length());
        boolean slash = rest.endsWith("/");
        String folder = slash ? rest.substring(0, rest.length() - 1) : rest;
        if (!isSafeFolderName(folder, folderPattern)) {
            return new RequestTarget(Route.NOT_FOUND, null);
        }
        return new RequestTarget(slash ? Route.ARCHIVE : Route.ARCHIVE_WITHOUT_SLASH, folder);
    }

    /**
     * RFC 9112 3.2.2: a server must accept the absolute form ({@code GET http://host/path}), as
     * a proxy would send it; its path and query are the target, and its authority, like the Host
     * header, names nothing here. Any other form is returned as it is.
     */
    private static String originForm(String target) {
        Matcher absolute = ABSOLUTE_FORM.matcher(target);
        if (!absolute.lookingAt()) {
            return target;
        }
        String rest = target.substring(absolute.end());
        return rest.startsWith("/") ? rest : "/" + rest;
    }

    /** Whatever the configured pattern allows, these never name a folder below the root. */
    static boolean isSafeFolderName(String folder, Pattern folderPattern) {
        if (folder.isEmpty() || folder.equals(".") || folder.equals("..")) {
            return false;
        }
        for (int i = 0; i < folder.length(); i++) {
            char c = folder.charAt(i);
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7F || c == '\uFFFD') {
                return false;
            }
        }
        return folderPattern.matcher(folder).matches();
    }
}
