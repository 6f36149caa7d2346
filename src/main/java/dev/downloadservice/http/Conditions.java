package dev.downloadservice.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Conditional requests (RFC 9110 section 13) against an archive's validators: its
 * strong ETag and its Last-Modified time in whole seconds.
 */
final class Conditions {

    private static final Pattern ENTITY_TAG = Pattern.compile("(W/)?\"[^\"]*\"");

    private Conditions() {
    }

    /**
     * The status a failed precondition calls for (412, or 304 for GET and HEAD), or
     * null to go on. The order is that of RFC 9110 section 13.2.2.
     *
     * @param datesValidate whether Last-Modified changes with every change of the archive;
     *                      if not, If-Modified-Since and If-Unmodified-Since are ignored (RFC
     *                      9110 lets a server ignore a condition it cannot evaluate reliably)
     */
    static HttpResponseStatus evaluate(HttpHeaders headers, String etag, long lastModifiedSeconds,
                                       boolean datesValidate) {
        String ifMatch = headers.get(HttpHeaderNames.IF_MATCH);
        if (ifMatch != null) {
            if (!matches(ifMatch, etag, /* weak= */ false)) {
                return HttpResponseStatus.PRECONDITION_FAILED;
            }
        } else {
            Long ifUnmodifiedSince = datesValidate ? seconds(headers.get(HttpHeaderNames.IF_UNMODIFIED_SINCE)) : null;
            if (ifUnmodifiedSince != null && lastModifiedSeconds > ifUnmodifiedSince) {
                return HttpResponseStatus.PRECONDITION_FAILED;
            }
        }
        String ifNoneMatch = headers.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            return matches(ifNoneMatch, etag, /* weak= */ true) ? HttpResponseStatus.NOT_MODIFIED : null;
        }
        Long ifModifiedSince = datesValidate ? seconds(headers.get(HttpHeaderNames.IF_MODIFIED_SINCE)) : null;
        if (ifModifiedSince != null && lastModifiedSeconds <= ifModifiedSince) {
            return HttpResponseStatus.NOT_MODIFIED;
        }
        return null;
    }

    /**
     * Whether a Range header may be honoured: without If-Range always; with it only if
     * it names the current archive by its strong ETag (RFC 9110 section 13.1.5).
     * Otherwise the client's partial copy may be of another archive, and it gets the
     * whole new one. A date is not enough: files can be rewritten and their times set
     * back, so Last-Modified is only a weak validator here.
     */
    static boolean rangeApplies(HttpHeaders headers, String etag) {
        String ifRange = headers.get(HttpHeaderNames.IF_RANGE);
        return ifRange == null || ifRange.strip().equals(etag);
    }

    /** Whether a list of entity tags (or "*") names {@code etag}; weak comparison ignores W/. */
    private static boolean matches(String list, String etag, boolean weak) {
        if (list.strip().equals("*")) {
            return true;
        }
        for (String tag : entityTags(list)) {
            boolean isWeak = tag.startsWith("W/");
            if ((weak || !isWeak) && (isWeak ? tag.substring(2) : tag).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> entityTags(String list) {
        List<String> tags = new ArrayList<>();
        Matcher m = ENTITY_TAG.matcher(list);
        while (m.find()) {
            tags.add(m.group());
        }
        return tags;
    }

    /** An HTTP-date in seconds since the epoch, or null if absent or not a date (then it is ignored). */
    private static Long seconds(String httpDate) {
        if (httpDate == null) {
            return null;
        }
        Date date = DateFormatter.parseHttpDate(httpDate);
        return date == null ? null : Math.floorDiv(date.getTime(), 1000);
    }

    static String httpDate(long seconds) {
        return DateFormatter.format(new Date(seconds * 1000));
    }
}
