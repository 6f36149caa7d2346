package dev.downloadservice.http;

import dev.downloadservice.access.SignedLinks;
import dev.downloadservice.access.SignedLinks.Reason;
import dev.downloadservice.archive.PreparedArchive;
import dev.downloadservice.config.Config;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What must hold before an archive is served, whatever the method: a signed link in time (403, 410) where links
 * are signed, and an archive within the limits (413). {@link ArchiveResponder} asks twice. Before the listing, a
 * link that is not signed is refused, and so is an expired one that cannot be a resume: nothing about the
 * folder, not even whether it exists, is told. Once the archive is planned, an expired link is served only as a
 * resume within the grace (a GET of a range whose If-Range is the archive's ETag: the download began in time),
 * and an archive over a limit is refused. Either way no byte of an archive goes out before both are passed.
 * A manifest needs the link an archive needs, and is never a resume; over a limit it is still answered, and
 * says why the archive would be refused ({@link #overLimit}).
 */
final class ArchiveGate {

    private final Optional<SignedLinks> links;
    private final Config.ArchiveLimits limits;
    private final DownloadMetrics metrics;

    private ArchiveGate(Optional<SignedLinks> links, Config.ArchiveLimits limits, DownloadMetrics metrics) {
        this.links = links;
        this.limits = limits;
        this.metrics = metrics;
    }

    static ArchiveGate of(Config config, DownloadMetrics metrics) {
        Optional<SignedLinks> links = config.links() instanceof Config.SignedLinks signed
                ? Optional.of(new SignedLinks(signed.secret(), signed.grace()))
                : Optional.empty();
        return new ArchiveGate(links, config.archiveLimits(), metrics);
    }

    /** Before the folder is listed: the refusal, or empty to go on. */
    Optional<FullHttpResponse> beforeListing(HttpRequest request, String folder) {
        Optional<SignedLinks.Verdict> verdict = verdict(request, folder);
        if (verdict.isEmpty() || admits(verdict.get(), mayResume(request))) {
            return Optional.empty();
        }
        return Optional.of(refusal(verdict.get()));
    }

    /** With the archive planned, before anything about it is answered: the refusal, or empty to go on. */
    Optional<FullHttpResponse> beforeAnswer(HttpRequest request, String folder, PreparedArchive archive) {
        Optional<SignedLinks.Verdict> verdict = verdict(request, folder); // again: the link may have expired since
        if (verdict.isPresent() && !admits(verdict.get(), resumes(request, archive))) {
            return Optional.of(refusal(verdict.get()));
        }
        return overLimit(archive).map(why -> Responses.text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, why));
    }

    /** With the archive planned, before its manifest is answered: the link's refusal, or empty to go on. */
    Optional<FullHttpResponse> beforeManifest(HttpRequest request, String folder) {
        return verdict(request, folder).filter(link -> !admits(link, /* resumes= */ false)).map(this::refusal);
    }

    /** Empty where links need no signature. */
    private Optional<SignedLinks.Verdict> verdict(HttpRequest request, String folder) {
        if (links.isEmpty()) {
            return Optional.empty();
        }
        Map<String, List<String>> parameters;
        try {
            parameters = new QueryStringDecoder(request.uri()).parameters(); // POST too: the form's action URL
        } catch (IllegalArgumentException malformedEscape) {
            return Optional.of(new SignedLinks.Refused(Reason.WRONG));
        }
        // The path nginx's $uri is for every request routed here: decoded, /archive/<hash>/.
        String path = RequestTarget.ARCHIVE_PREFIX + folder + "/";
        return Optional.of(links.get().verify(path, parameters, Instant.now().getEpochSecond()));
    }

    /** A link in time, or an expired one within the grace for a request that resumes. */
    private static boolean admits(SignedLinks.Verdict verdict, boolean resumes) {
        return verdict instanceof SignedLinks.Valid
                || (verdict instanceof SignedLinks.Expired expired && expired.withinGrace() && resumes);
    }

    /** A request that may resume a download, if its If-Range turns out to be the archive's ETag. */
    private static boolean mayResume(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return request.method().equals(HttpMethod.GET) && headers.contains(HttpHeaderNames.RANGE)
                && headers.contains(HttpHeaderNames.IF_RANGE);
    }

    /** A range of this very archive: anything else (the whole archive, a 416, a HEAD) would serve a new download. */
    private static boolean resumes(HttpRequest request, PreparedArchive archive) {
        HttpHeaders headers = request.headers();
        return mayResume(request) && Conditions.rangeApplies(headers, archive.etag())
                && ByteRange.parse(headers.get(HttpHeaderNames.RANGE), archive.plan().length()) instanceof ByteRange.Part;
    }

    private FullHttpResponse refusal(SignedLinks.Verdict verdict) {
        if (verdict instanceof SignedLinks.Refused refused) {
            metrics.linkRefused(refused.reason());
            return Responses.text(HttpResponseStatus.FORBIDDEN, refused.reason() == Reason.MISSING
                    ? "Forbidden: this link needs expires= and a signature (md5= or sig=)"
                    : "Forbidden: the link's signature is wrong");
        }
        metrics.linkRefused(Reason.EXPIRED);
        return Responses.text(HttpResponseStatus.GONE, "Gone: this link has expired");
    }

    /**
     * Why the archive is over a limit (the 413's text), or empty if it is not: said with its size or entries and
     * the limit, so that the visitor can ask for less.
     */
    Optional<String> overLimit(PreparedArchive archive) {
        long length = archive.plan().length();
        int entries = archive.plan().entryCount();
        if (limits.maxBytes().isPresent() && length > limits.maxBytes().getAsLong()) {
            return Optional.of("Archive too large: " + length + " bytes, more than the limit of "
                    + limits.maxBytes().getAsLong() + " bytes");
        }
        if (limits.maxEntries().isPresent() && entries > limits.maxEntries().getAsInt()) {
            return Optional.of("Archive too large: " + entries + " files and folders, more than the limit of "
                    + limits.maxEntries().getAsInt());
        }
        return Optional.empty();
    }
}
