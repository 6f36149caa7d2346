package dev.downloadservice.http;

import dev.downloadservice.archive.Selection;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a request for an archive asks for besides the folder: which of its files ({@code file=}, once for each),
 * the name to save it as ({@code name=}), and whether it wants the archive or its manifest ({@code list}, with
 * any value or none: {@code ?list}). They come from the query, and for a POST also from its form
 * ({@code application/x-www-form-urlencoded}, what an HTML form sends): a POST is answered as the GET of the
 * same fields, so a form with a checkbox for each photo downloads the ones ticked. Other fields are left to
 * whoever reads them.
 *
 * @param selection the files, or the whole folder when a GET names none
 * @param name      the name asked for, if any; {@link ArchiveName} makes it safe
 * @param answer    the archive, or the manifest that describes it
 */
record ArchiveRequest(Selection selection, Optional<String> name, Answer answer) {

    static final String FORM_TYPE = "application/x-www-form-urlencoded";

    /** What is answered about the archive asked for. */
    enum Answer {
        /** The archive itself. */
        ARCHIVE,
        /** Its manifest: its name, length and validators and its entries, as JSON ({@link Manifest}). */
        MANIFEST
    }

    /** What a request asks for, or why it cannot be answered. */
    sealed interface Parsed {
    }

    record Valid(ArchiveRequest request) implements Parsed {
    }

    /** @param why the short text of the answer */
    record Refused(HttpResponseStatus status, String why) implements Parsed {
    }

    static Parsed parse(HttpRequest request) {
        Map<String, List<String>> query;
        Map<String, List<String>> form = Map.of();
        try {
            query = decoder(true).build(request.uri()).parameters();
            if (request instanceof FormBodies.Posted posted) {
                if (!isForm(request.headers().get(HttpHeaderNames.CONTENT_TYPE))) {
                    return new Refused(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                            "Unsupported form: expected " + FORM_TYPE + " (UTF-8)");
                }
                form = decoder(false).build(posted.body()).parameters();
            }
        } catch (IllegalArgumentException malformedEscape) {
            return new Refused(HttpResponseStatus.BAD_REQUEST, "Bad request: a malformed %-escape");
        }
        List<String> files = values("file", query, form);
        List<String> names = values("name", query, form).stream().filter(n -> !n.isEmpty()).toList();
        if (names.size() > 1) {
            return new Refused(HttpResponseStatus.BAD_REQUEST, "Bad request: more than one name");
        }
        List<String> chosen = files.stream().filter(f -> !f.isEmpty()).toList();
        boolean post = request instanceof FormBodies.Posted;
        if (chosen.isEmpty() && (post || !files.isEmpty())) {
            // A form with no box ticked: downloading the whole folder instead would surprise.
            return new Refused(HttpResponseStatus.BAD_REQUEST, "Bad request: no file selected");
        }
        Selection selection = chosen.isEmpty() ? Selection.WHOLE_FOLDER : Selection.of(chosen);
        // Present is enough, as for an HTML boolean attribute: ?list, ?list= and ?list=1 all ask for it.
        Answer answer = values("list", query, form).isEmpty() ? Answer.ARCHIVE : Answer.MANIFEST;
        return new Valid(new ArchiveRequest(selection, names.stream().findFirst(), answer));
    }

    /**
     * Form decoding, as browsers encode (a {@code +} is a space); a {@code ;} is part of a value, not a
     * separator, since a file name may hold one. The request line or the form's limit bounds the count.
     */
    private static QueryStringDecoder.Builder decoder(boolean hasPath) {
        return QueryStringDecoder.builder().hasPath(hasPath).semicolonIsNormalChar(true).maxParams(Integer.MAX_VALUE);
    }

    /** A form's type, with or without {@code charset=utf-8}; browsers send none. */
    private static boolean isForm(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.toLowerCase(Locale.ROOT).split(";");
        if (!parts[0].strip().equals(FORM_TYPE)) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].strip().replace("\"", "");
            if (parameter.startsWith("charset=") && !parameter.equals("charset=utf-8")) {
                return false;
            }
        }
        return true;
    }

    private static List<String> values(String field, Map<String, List<String>> query, Map<String, List<String>> form) {
        List<String> values = new ArrayList<>(query.getOrDefault(field, List.of()));
        values.addAll(form.getOrDefault(field, List.of()));
        return values;
    }
}
