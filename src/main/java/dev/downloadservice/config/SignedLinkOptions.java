package dev.downloadservice.config;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options of expiring links (nginx's secure_link, or HMAC-SHA256), mixed into {@link Options}. */
final class SignedLinkOptions {

    /** A download resumed within a day of its link's expiry is still served: one began in time takes no longer. */
    static final String DEFAULT_GRACE = "86400";
    /** A week: a longer grace would make the expiry meaningless for anyone who started a download. */
    private static final long MOST_GRACE_SECONDS = 7 * 86_400;

    @Option(names = "--secure-link-secret", paramLabel = "SECRET",
            description = "Serve only links that carry expires= and a signature made with this secret, md5= as"
                    + " nginx's secure_link_md5 \"$secure_link_expires$uri $secret\" or sig= (HMAC-SHA256);"
                    + " prefer --secure-link-secret-file: a command line is visible to every user"
                    + " (env SECURE_LINK_SECRET, default: links need no signature).")
    String secret;

    @Option(names = "--secure-link-secret-file", paramLabel = "FILE",
            description = "The same secret read from this file at start-up, a trailing newline left out"
                    + " (env SECURE_LINK_SECRET_FILE).")
    String secretFile;

    @Option(names = "--secure-link-grace", paramLabel = "SECONDS", defaultValue = DEFAULT_GRACE,
            description = "How long after a signed link's expiry a download begun in time may still be resumed"
                    + " (a Range request with If-Range the archive's ETag); 0 for never"
                    + " (env SECURE_LINK_GRACE, default: ${DEFAULT-VALUE}, a day).")
    String grace;

    /** Checked in the order of the help; a secret never appears in an error, which would log it. */
    Config.Links checked(Checks checks) {
        Duration checkedGrace = checks.seconds("--secure-link-grace", grace, BigDecimal.ZERO, MOST_GRACE_SECONDS);
        if (secret != null && secretFile != null) {
            throw checks.invalid("--secure-link-secret", "either it or --secure-link-secret-file (env"
                    + " SECURE_LINK_SECRET_FILE), not both", "both");
        }
        if (secret != null) {
            return new Config.SignedLinks(nonEmpty(checks, "--secure-link-secret", secret), checkedGrace);
        }
        if (secretFile != null) {
            return new Config.SignedLinks(nonEmpty(checks, "--secure-link-secret-file", readSecret(checks)),
                    checkedGrace);
        }
        return new Config.UnsignedLinks();
    }

    private String readSecret(Checks checks) {
        String expected = "a readable file that holds the secret as UTF-8 text";
        try {
            byte[] bytes = Files.readAllBytes(Path.of(secretFile.strip()));
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            return text.replaceFirst("\\R+\\z", ""); // echo and editors end a file with a newline
        } catch (IOException | InvalidPathException e) {
            throw checks.invalid("--secure-link-secret-file", expected, secretFile + " (" + reason(e) + ")");
        }
    }

    private static String reason(Exception e) {
        return e instanceof CharacterCodingException ? "not UTF-8"
                : e instanceof NoSuchFileException ? "no such file"
                : e instanceof AccessDeniedException ? "permission denied"
                : String.valueOf(e.getMessage());
    }

    /** An empty secret would let anyone sign; the value itself is never named. */
    private static String nonEmpty(Checks checks, String option, String text) {
        if (text.isEmpty()) {
            throw checks.invalid(option, "a secret of one character or more (openssl rand -base64 32 makes one)",
                    "");
        }
        return text;
    }
}
