package dev.downloadservice.http;

import dev.downloadservice.archive.NotInFolderException;
import dev.downloadservice.archive.PreparedArchive;
import dev.downloadservice.archive.PreparedArchives;
import dev.downloadservice.source.ChecksumCache;
import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.Failures;
import dev.downloadservice.source.Folders;
import dev.downloadservice.source.SourceUnavailableException;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request for an archive: passes its {@link ArchiveGate} (signed links, size limits),
 * reads what it asks for (which files, what name, the archive or its manifest: {@link ArchiveRequest}), lists
 * and plans the folder or the selection of it, then answers its
 * conditions (304, 412), its range (206, 416), a HEAD, or starts a download if a slot is
 * free (503 with Retry-After if not). A manifest is answered with the archive's validators and conditions, and
 * takes no download slot. Every answer about an existing archive carries its validators.
 */
final class ArchiveResponder {

    private static final Logger log = LoggerFactory.getLogger(ArchiveResponder.class);

    /** What a refused download is told to wait (503 Retry-After). */
    private static final int RETRY_AFTER_SECONDS = 10;
    /** Accept-Ranges of an archive; a manifest is sent whole, a Range ignored (RFC 9110 section 14.3). */
    private static final String ARCHIVE_RANGES = "bytes";
    private static final String MANIFEST_RANGES = "none";

    /**
     * What downloads take: where their files come from, how fast they may go, how many may run,
     * and the bytes at the end of each that go through memory ({@link SocketBuffers}).
     */
    record Downloads(Folders folders, ChecksumCache checksums, Pacing pacing, Slots slots, OptionalLong unseenTail) {
    }

    private final PreparedArchives archives;
    /** Listings under way: every request for an archive lists its folder, a HEAD or a 304 too. */
    private final Slots listings;
    private final Downloads downloads;
    /** Signed links and size limits: asked before the listing and before the answer. */
    private final ArchiveGate gate;
    /** Where a manifest is written: some 50 ms for a folder of 100,000 entries, no work for an event loop. */
    private final Executor manifests;

    ArchiveResponder(PreparedArchives archives, Slots listings, Downloads downloads, ArchiveGate gate,
                     Executor manifests) {
        this.archives = archives;
        this.listings = listings;
        this.downloads = downloads;
        this.gate = gate;
        this.manifests = manifests;
    }

    void serve(Exchange exchange, String folder) {
        Optional<FullHttpResponse> gated = gate.beforeListing(exchange.request(), folder);
        if (gated.isPresent()) {
            exchange.respond(gated.get());
            return;
        }
        ArchiveRequest.Parsed parsed = ArchiveRequest.parse(exchange.request());
        if (parsed instanceof ArchiveRequest.Refused refused) {
            exchange.respond(Responses.text(refused.status(), refused.why()));
            return;
        }
        ArchiveRequest asked = ((ArchiveRequest.Valid) parsed).request();
        Optional<Slots.Slot> slot = listings.tryTake(exchange.client());
        if (slot.isEmpty()) {
            exchange.respond(retryLater("Too many folders being listed at once: try again in a few seconds"));
            return;
        }
        CompletableFuture<Optional<PreparedArchive>> preparation = archives.prepare(folder, asked.selection());
        exchange.preparing(preparation); // cancelled, so abandoned, if the client goes away meanwhile
        preparation.whenComplete((prepared, error) -> {
            slot.get().giveBack();
            exchange.ctx().executor().execute(() -> answer(exchange, folder, asked, prepared, error));
        });
    }

    /** Back on the event loop, with the listing planned or failed. */
    private void answer(Exchange exchange, String folder, ArchiveRequest asked, Optional<PreparedArchive> prepared,
                        Throwable error) {
        exchange.prepared();
        if (!exchange.ctx().channel().isActive()) {
            return; // the client went away: the listing was abandoned, or finished for nobody
        }
        if (error != null && Failures.cause(error) instanceof NotInFolderException missing) {
            log.info("download {}: the selection names {}, not a file of the folder", folder,
                    EntryNames.printable(missing.path()));
            exchange.respond(Responses.text(HttpResponseStatus.NOT_FOUND, "No such file in this folder: "
                    + EntryNames.printable(missing.path())));
        } else if (error != null && Failures.cause(error) instanceof SourceUnavailableException unavailable) {
            // The store is down or throttling, after its retries: the client may try again soon.
            log.warn("listing {} failed: {}", folder, unavailable.getMessage());
            exchange.respond(retryLater("The file store is not answering: try again in a few seconds"));
        } else if (error != null) {
            log.warn("listing {} failed", folder, error);
            exchange.respondAndClose(Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "Internal server error"));
        } else if (prepared.isEmpty()) {
            log.info("download {}: no such folder", folder);
            exchange.respond(Responses.text(HttpResponseStatus.NOT_FOUND, Responses.NOT_FOUND_TEXT));
        } else if (asked.answer() == ArchiveRequest.Answer.MANIFEST) {
            describe(exchange, folder, ArchiveName.of(asked.name(), folder), prepared.get());
        } else {
            answer(exchange, folder, ArchiveName.of(asked.name(), folder), prepared.get());
        }
    }

    /**
     * The manifest, or the 304 or 412 its conditions call for. It is a description of the archive at another URL,
     * so it carries the archive's validators: a site that holds a manifest knows which archive it describes.
     */
    private void describe(Exchange exchange, String folder, ArchiveName name, PreparedArchive archive) {
        Optional<FullHttpResponse> refused = gate.beforeManifest(exchange.request(), folder);
        if (refused.isPresent()) {
            exchange.respond(refused.get());
            return;
        }
        Optional<FullHttpResponse> failed = failedCondition(exchange.request(), archive, MANIFEST_RANGES);
        if (failed.isPresent()) {
            exchange.respond(failed.get());
            return;
        }
        Optional<String> overLimit = gate.overLimit(archive);
        CompletableFuture.supplyAsync(() -> Manifest.of(name, archive, overLimit), manifests)
                .whenComplete((json, error) -> exchange.ctx().executor().execute(() -> {
                    if (error != null) {
                        log.warn("manifest of {} failed", folder, error);
                        exchange.respondAndClose(Responses.text(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                                "Internal server error"));
                        return;
                    }
                    exchange.respond(withValidators(Responses.withBody(HttpResponseStatus.OK, Manifest.CONTENT_TYPE,
                            json), archive, MANIFEST_RANGES));
                }));
    }

    private void answer(Exchange exchange, String folder, ArchiveName name, PreparedArchive archive) {
        HttpRequest request = exchange.request();
        Optional<FullHttpResponse> refused = gate.beforeAnswer(request, folder, archive);
        if (refused.isPresent()) {
            exchange.respond(refused.get());
            return;
        }
        long length = archive.plan().length();
        Optional<FullHttpResponse> failed = failedCondition(request, archive, ARCHIVE_RANGES);
        if (failed.isPresent()) {
            exchange.respond(failed.get());
            return;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        // Range applies to GET (RFC 9110 section 14.2), and to a form's POST, which is answered as its GET is.
        ByteRange range = !head && Conditions.rangeApplies(request.headers(), archive.etag())
                ? ByteRange.parse(request.headers().get(HttpHeaderNames.RANGE), length)
                : new ByteRange.Whole();
        if (range instanceof ByteRange.Unsatisfiable) {
            FullHttpResponse response = Responses.text(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    "Range not satisfiable: the archive has " + length + " bytes");
            response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + length);
            exchange.respond(withValidators(response, archive, ARCHIVE_RANGES));
            return;
        }
        ByteRange.Part part = bytes(range, length);
        HttpResponse response = head(name, archive, range);
        boolean keepAlive = exchange.keepsAlive();
        HttpUtil.setKeepAlive(response, keepAlive);
        if (head || part.length() == 0) {
            exchange.respondHeadOnly(response, keepAlive);
            return;
        }
        Optional<Slots.Slot> slot = downloads.slots().tryTake(exchange.client());
        if (slot.isEmpty()) {
            exchange.respond(retryLater("Too many downloads at once: try again in a few seconds"));
            return;
        }
        try {
            exchange.download(content(exchange, folder, archive, range), slot.get(), response, keepAlive);
        } catch (RuntimeException e) {
            slot.get().giveBack(); // the download never began, so it will never give the slot back
            throw e;
        }
    }

    /** The head of a 200 or 206: the size, the range, the file name, the validators. */
    private static HttpResponse head(ArchiveName name, PreparedArchive archive, ByteRange range) {
        long length = archive.plan().length();
        boolean partial = range instanceof ByteRange.Part;
        ByteRange.Part part = bytes(range, length);
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/zip")
                .set(HttpHeaderNames.CONTENT_LENGTH, part.length())
                .set(HttpHeaderNames.CONTENT_DISPOSITION, name.contentDisposition());
        if (partial) {
            response.headers().set(HttpHeaderNames.CONTENT_RANGE,
                    "bytes " + part.start() + "-" + (part.end() - 1) + "/" + length);
        }
        return withValidators(response, archive, ARCHIVE_RANGES);
    }

    private DownloadContent content(Exchange exchange, String folder, PreparedArchive archive, ByteRange range) {
        ByteRange.Part part = bytes(range, archive.plan().length());
        Pacing pacing = downloads.pacing();
        ArchiveBody body = new ArchiveBody(archive, part,
                new ArchiveBody.Sources(downloads.folders().reads(), downloads.checksums(), downloads.unseenTail()),
                exchange.ctx().alloc(),
                pacing.chunkSize());
        String name = range instanceof ByteRange.Part ? folder + " bytes " + part.start() + "-" + (part.end() - 1)
                : folder;
        return new DownloadContent(name, archive.plan().entryCount(), part.length(), body, pacing);
    }

    /** The bytes a range asks for: the range itself, or the whole archive. */
    private static ByteRange.Part bytes(ByteRange range, long length) {
        return range instanceof ByteRange.Part part ? part : new ByteRange.Part(0, length);
    }

    private static FullHttpResponse retryLater(String why) {
        FullHttpResponse response = Responses.text(HttpResponseStatus.SERVICE_UNAVAILABLE, why);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        return response;
    }

    /** The 304 or 412 the request's conditions call for (RFC 9110 section 13), with the validators; else empty. */
    private static Optional<FullHttpResponse> failedCondition(HttpRequest request, PreparedArchive archive,
                                                              String acceptRanges) {
        HttpResponseStatus failed = Conditions.evaluate(request.headers(), archive.etag(),
                archive.lastModifiedSeconds(), archive.datesValidate());
        if (failed == null) {
            return Optional.empty();
        }
        FullHttpResponse response = failed == HttpResponseStatus.NOT_MODIFIED
                ? Responses.empty(failed)
                : Responses.text(failed, "Precondition failed");
        return Optional.of(withValidators(response, archive, acceptRanges));
    }

    /** Validators and caching rules, on every answer about an existing archive or its manifest. */
    private static <T extends HttpResponse> T withValidators(T response, PreparedArchive archive,
                                                             String acceptRanges) {
        response.headers()
                .set(HttpHeaderNames.ETAG, archive.etag())
                .set(HttpHeaderNames.LAST_MODIFIED, Conditions.httpDate(archive.lastModifiedSeconds()))
                .set(HttpHeaderNames.ACCEPT_RANGES, acceptRanges)
                // The link is the key to the files: no shared cache may keep a copy.
                .set(HttpHeaderNames.CACHE_CONTROL, "private");
        return response;
    }
}
