package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.testing.LogCapture;
import dev.downloadservice.testing.TestService;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The released default --hash-pattern ({@code [A-Za-z0-9_-]{16,128}}): every folder below is there, and only those
 * whose names are too long to guess are served; the start-up log counts the others and names none.
 */
class HashPatternHttpTest {

    private static final String FIFTEEN = "a".repeat(15);
    private static final String SIXTEEN = "b".repeat(16);
    private static final String MOST = "c".repeat(128);
    private static final String TOO_LONG = "d".repeat(129);
    /** What no name is: a line naming one of these would tell a log reader how to reach it. */
    private static final List<String> NOT_SERVED = List.of("notahash", "tmp", "lost+found", FIFTEEN, TOO_LONG,
            "sixteen.chars.ok");

    @TempDir
    static Path root;
    private static TestService service;
    private static LogCapture startUp;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        for (String name : NOT_SERVED) {
            Files.writeString(Files.createDirectory(root.resolve(name)).resolve("photo.jpg"), name);
        }
        for (String name : List.of(SIXTEEN, MOST)) {
            Files.writeString(Files.createDirectory(root.resolve(name)).resolve("photo.jpg"), name);
        }
        Files.writeString(root.resolve("a-file-not-a-folder.txt"), "not counted");
        startUp = LogCapture.of(FolderCountLog.class);
        service = TestService.startAsReleased(List.of("--path", root.toString()));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        startUp.close();
    }

    static Stream<Arguments> names() {
        return Stream.of(Arguments.of("notahash", 404), Arguments.of("tmp", 404), Arguments.of("lost+found", 404),
                Arguments.of(FIFTEEN, 404), Arguments.of(SIXTEEN, 200), Arguments.of(MOST, 200),
                Arguments.of(TOO_LONG, 404), Arguments.of("sixteen.chars.ok", 404));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("names")
    void defaultPattern_folderThere_servedOnlyIfItsNameIsLongEnough(String name, int status) throws Exception {
        HttpResponse<Void> response = client.send(HttpRequest.newBuilder(service.uri("/archive/" + name + "/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());

        assertThat(response.statusCode()).isEqualTo(status);
    }

    @Test
    void startUp_foldersNotServed_countedNamesNone() throws Exception {
        String line = startUp.await(message -> message.startsWith("folders under the root"), Duration.ofSeconds(10));

        assertThat(line).startsWith("folders under the root whose names do not match --hash-pattern (env HASH_PATTERN),"
                + " so are never served: " + NOT_SERVED.size() + " (2 match)");
        assertThat(startUp.messages()).allSatisfy(message -> assertThat(NOT_SERVED).noneMatch(message::contains));
    }
}
