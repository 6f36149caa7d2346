package dev.downloadservice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Reads an archive's manifest ({@code ?list}) with Python's json, and the archive with its zipfile: parsers
 * independent of the code that wrote both.
 */
public final class ManifestReader {

    private static final Duration TIMEOUT = Duration.ofMinutes(1);

    private ManifestReader() {
    }

    /**
     * Checks that the manifest describes the archive: its length, ETag, name, ZIP64 and every entry's name, size
     * and time as the archive holds them. Returns the entries' names.
     *
     * @param etag the archive's ETag header
     * @param name the name it is saved as
     */
    public static List<String> checkAgainst(byte[] manifest, Path zip, String etag, String name) throws Exception {
        Path json = Files.write(Files.createTempFile(zip.getParent(), "manifest", ".json"), manifest);
        Commands.Result result = Commands.run(TIMEOUT, "python3", script(), json.toString(), zip.toString(), etag,
                name);
        assertThat(result.exit()).as(result.describe()).isZero();
        return result.out().lines().toList();
    }

    /** A Python expression over the parsed manifest {@code m}, as JSON: {@code m['refused']}, {@code 'entries' in m}. */
    public static String eval(byte[] manifest, String expression, Path temp) throws Exception {
        Path json = Files.write(Files.createTempFile(temp, "manifest", ".json"), manifest);
        Commands.Result result = Commands.run(TIMEOUT, "python3", "-c", """
                import json, sys
                with open(sys.argv[1], 'rb') as f:
                    m = json.loads(f.read().decode('utf-8'))
                sys.stdout.buffer.write(json.dumps(eval(sys.argv[2]), ensure_ascii=False).encode('utf-8'))
                """, json.toString(), expression);
        assertThat(result.exit()).as(result.describe()).isZero();
        return result.out();
    }

    private static String script() throws Exception {
        return Path.of(ManifestReader.class.getResource("/manifestcheck.py").toURI()).toString();
    }
}
