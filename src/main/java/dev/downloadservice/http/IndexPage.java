package dev.downloadservice.http;

import dev.downloadservice.archive.PreparedArchive;
import dev.downloadservice.archive.PreparedArchives;
import dev.downloadservice.archive.Selection;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.zip.ArchiveEntry;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The page at {@code /}: what the service is and, when the root holds the bundled sample folders
 * ({@code test_photos/}), a small gallery of them to try it with: each sample's files with a checkbox, a name
 * for the archive, "Download selected" (the form's POST) and "Download all". No other folder is ever shown: its
 * name is the only key to it. Self-contained (no script, no outside style), and every link relative, so it works
 * behind a proxy that serves the service under a path of its own.
 */
final class IndexPage {

    private static final Logger log = LoggerFactory.getLogger(IndexPage.class);

    /** The folders of {@code test_photos/}, under the original service's own sample hashes. */
    static final List<String> SAMPLES = List.of("3bea29ccabbbf64bdebcc055319c5745", "af1ad8c76fda2e48ea9aed2937e972ea");

    /** Nothing can load from elsewhere, a form posts only here; inline style is the page's own. */
    private static final String POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";

    private static final String HEAD = """
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>download-service</title>
            <style>
            body { font-family: sans-serif; max-width: 42em; margin: 2em auto; padding: 0 1em; line-height: 1.4 }
            section { border: 1px solid #ccc; border-radius: 6px; padding: 0 1em 1em; margin: 1em 0 }
            ul { list-style: none; padding: 0 } li { margin: .3em 0 } .size { color: #666 }
            </style>
            </head>
            <body>
            <h1>download-service</h1>
            <p>This service sends a folder of photos as a ZIP archive that is built while it downloads.</p>
            <p>A download link looks like <code>/archive/&lt;hash&gt;/</code>, where <code>&lt;hash&gt;</code>
            is the name of the folder you were given. The archive has an exact size, so your browser shows
            progress, and an interrupted download can be resumed.</p>
            """;
    private static final String TAIL = "</body>\n</html>\n";

    private final PreparedArchives archives;
    /** The samples found at start among those a link may name: only they are listed for the page. */
    private final CompletableFuture<List<String>> samples;

    private IndexPage(PreparedArchives archives, CompletableFuture<List<String>> samples) {
        this.archives = archives;
        this.samples = samples;
    }

    /**
     * Looks for the samples once, now, in the background: a root without them is never listed for this page again,
     * so a hit on {@code /} costs no listing (no request to an object store) on a real site. With signed links the
     * page offers none: an unsigned link is refused, and handing out working links is what signing prevents.
     */
    static IndexPage of(PreparedArchives archives, Pattern hashPattern, boolean signedLinks) {
        List<String> named = signedLinks ? List.of()
                : SAMPLES.stream().filter(s -> RequestTarget.isSafeFolderName(s, hashPattern)).toList();
        CompletableFuture<List<String>> found = prepared(archives, named).thenApply(present ->
                present.stream().map(archive -> archive.listing().folder()).toList());
        return new IndexPage(archives, found.exceptionally(error -> {
            // A store not reachable yet at start, as the source's own start-up line says: no reason to warn twice.
            log.info("could not look for the sample folders, so / shows no gallery: {}", error.toString());
            return List.of();
        }));
    }

    /** Answers on the exchange's event loop, once the samples are listed (at once on a site without them). */
    void respond(Exchange exchange) {
        samples.thenCompose(names -> prepared(archives, names)).whenComplete((prepared, error) -> {
            if (error != null) {
                log.warn("could not list the sample folders for the index page: {}", error.toString());
            }
            String page = error == null ? page(prepared) : page(List.of());
            exchange.ctx().executor().execute(() -> exchange.respond(response(page)));
        });
    }

    /** The samples as they are now, through the service's own listing: the names are those the archive holds. */
    private static CompletableFuture<List<PreparedArchive>> prepared(PreparedArchives archives, List<String> names) {
        List<CompletableFuture<Optional<PreparedArchive>>> listings = names.stream()
                .map(name -> archives.prepare(name, Selection.WHOLE_FOLDER)).toList();
        return CompletableFuture.allOf(listings.toArray(CompletableFuture[]::new)).thenApply(done ->
                listings.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList());
    }

    private static FullHttpResponse response(String page) {
        FullHttpResponse response = Responses.withBody(HttpResponseStatus.OK, "text/html; charset=utf-8", page);
        response.headers().set("Content-Security-Policy", POLICY);
        return response;
    }

    private static String page(List<PreparedArchive> samples) {
        StringBuilder page = new StringBuilder(HEAD);
        if (!samples.isEmpty()) {
            page.append("<h2>Sample galleries</h2>\n<p>The folders bundled with the service: tick some photos,"
                    + " name the archive if you like, and download them, or a whole gallery.</p>\n");
            samples.forEach(sample -> gallery(page, sample));
        }
        return page.append(TAIL).toString();
    }

    /** One sample: a form whose POST is the archive of the files ticked, as {@link ArchiveRequest} reads it. */
    private static void gallery(StringBuilder page, PreparedArchive sample) {
        String folder = escape(sample.listing().folder());
        page.append("<section>\n<h3>").append(folder).append("</h3>\n")
                .append("<form method=\"post\" action=\"archive/").append(folder).append("/\">\n<ul>\n");
        List<SourceFile> files = sample.listing().files();
        List<ArchiveEntry> entries = sample.plan().entries();
        for (int i = 0; i < files.size(); i++) {
            if (!files.get(i).isDirectory()) {
                // The value is the path as listed, which a selection matches; the label is the name in the archive.
                page.append("<li><label><input type=\"checkbox\" name=\"file\" value=\"")
                        .append(escape(files.get(i).name())).append("\"> ").append(escape(entries.get(i).name()))
                        .append("</label> <span class=\"size\">").append(size(files.get(i).size()))
                        .append("</span></li>\n");
            }
        }
        page.append("</ul>\n<p><label>Archive name <input type=\"text\" name=\"name\" placeholder=\"").append(folder)
                .append("\"></label>.zip</p>\n<p><button type=\"submit\">Download selected</button>\n")
                .append("<a href=\"archive/").append(folder).append("/\">Download all</a></p>\n</form>\n</section>\n");
    }

    private static String size(long bytes) {
        return bytes < 1024 ? bytes + " bytes" : (bytes + 512) / 1024 + " KiB";
    }

    /** Text or an attribute's value in HTML: nothing in a name can open a tag or close the attribute. */
    private static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> escaped.append("&amp;");
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
