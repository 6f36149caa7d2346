package dev.downloadservice.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.downloadservice.archive.PreparedArchive;
import dev.downloadservice.zip.ArchiveEntry;
import dev.downloadservice.zip.ArchivePlan;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The manifest of an archive ({@code ?list}): what a site shows before the download, as JSON (RFC 8259, UTF-8).
 * Every value is read from the plan, never from content, so the manifest is exactly what the archive's GET sends:
 * <pre>
 * {"name":"x.zip","length":123,"etag":"\"…\"","lastModified":"2024-05-01T10:00:00Z","zip64":false,
 *  "entryCount":2,"entries":[{"name":"a/","size":0,"modified":"…"},{"name":"a/b.jpg","size":1,"modified":"…"}]}
 * </pre>
 * An archive over a size limit has {@code "refused"} (the 413's text) after {@code "zip64"}, and no
 * {@code "entries"}: the site learns its size and that it cannot be downloaded, and a folder far over
 * {@code --max-archive-entries} costs no manifest of its size.
 */
final class Manifest {

    static final String CONTENT_TYPE = "application/json";

    /** Thread-safe once made; it keeps the generators' buffers for reuse. */
    private static final JsonFactory JSON = new JsonFactory();

    private Manifest() {
    }

    /**
     * The manifest's bytes.
     *
     * @param refused why the archive is not served (over a limit), if it is not
     */
    static byte[] of(ArchiveName name, PreparedArchive archive, Optional<String> refused) {
        ArchivePlan plan = archive.plan();
        // About 80 bytes an entry, most of them its name: a guess that spares the copies of growing.
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 80 * plan.entryCount());
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("name", name.fileName());
            json.writeNumberField("length", plan.length());
            json.writeStringField("etag", archive.etag());
            json.writeStringField("lastModified", time(archive.lastModifiedSeconds()));
            json.writeBooleanField("zip64", plan.usesZip64());
            if (refused.isPresent()) {
                json.writeStringField("refused", refused.get());
            }
            json.writeNumberField("entryCount", plan.entryCount());
            if (refused.isEmpty()) {
                json.writeArrayFieldStart("entries");
                for (ArchiveEntry entry : plan.entries()) {
                    json.writeStartObject();
                    json.writeStringField("name", entry.name());
                    json.writeNumberField("size", entry.size());
                    json.writeStringField("modified", time(Math.floorDiv(entry.mtimeMillis(), 1000)));
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("a ByteArrayOutputStream does not fail", e);
        }
        out.write('\n'); // as every text answer ends, so that curl's output ends its line
        return out.toByteArray();
    }

    /** ISO-8601 in UTC, in whole seconds: what the archive's extended timestamp holds, and what JavaScript parses. */
    private static String time(long epochSeconds) {
        return Instant.ofEpochSecond(epochSeconds).toString();
    }
}
