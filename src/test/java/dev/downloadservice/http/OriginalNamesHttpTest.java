package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.downloadservice.source.local.LocalFolders;
import dev.downloadservice.testing.ExpectedEntry;
import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.TestService;
import dev.downloadservice.testing.ZipReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --entry-names original} gives the archives of the versions before portable names: a file with a
 * backslash or a control character in its path is left out and logged, and adds nothing, not even a folder.
 * (The default keeps such files, renamed: SourceContractTest.)
 */
class OriginalNamesHttpTest {

    @TempDir
    Path root;

    @Test
    void original_backslashAndControlNames_leftOutAndLogged_sameBytesAndEtagAsWithoutThem() throws Exception {
        Path folder = Files.createDirectory(root.resolve("gallery"));
        Files.writeString(folder.resolve("a.jpg"), "photo");
        Files.createDirectory(folder.resolve("sub"));
        Files.writeString(folder.resolve("sub/b.txt"), "text");
        Path[] leftOut = {folder.resolve("dir\\photo.jpg"), folder.resolve("bell\u0007.txt"),
                folder.resolve("tab\tfolder/inside.jpg"), folder.resolve("tab\tfolder")};
        Files.createDirectory(leftOut[3]);
        for (int i = 0; i < 3; i++) {
            Files.writeString(leftOut[i], "must not be in the archive");
        }
        FileTime folderTime = Files.getLastModifiedTime(folder);
        try (LogCapture log = LogCapture.of(LocalFolders.class, Level.WARN);
             TestService service = TestService.start(root, "--entry-names", "original")) {
            HttpResponse<byte[]> withThem = get(service);
            log.await(line -> line.equals("left out dir\\\\photo.jpg of folder gallery: a backslash in the name"),
                    Duration.ofSeconds(5));
            log.await(line -> line.equals("left out bell\\x07.txt of folder gallery: a control character in the name"),
                    Duration.ofSeconds(5));
            for (Path path : leftOut) {
                Files.delete(path);
            }
            Files.setLastModifiedTime(folder, folderTime);
            HttpResponse<byte[]> withoutThem = get(service);

            assertThat(withThem.body()).isEqualTo(withoutThem.body());
            assertThat(withThem.headers().firstValue("etag")).isEqualTo(withoutThem.headers().firstValue("etag"));
            assertThat(withThem.headers().firstValue("last-modified"))
                    .isEqualTo(withoutThem.headers().firstValue("last-modified"));
            Path zip = Files.write(root.resolve("gallery.zip"), withThem.body());
            ZipReader.ZIPINFO.check(zip, ExpectedEntry.fromFiles(Map.of("a.jpg", bytes("photo"),
                    "sub/b.txt", bytes("text"))));
        }
    }

    private static HttpResponse<byte[]> get(TestService service) throws Exception {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(service.uri("/archive/gallery/")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return response;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
