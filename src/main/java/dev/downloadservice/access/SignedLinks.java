package dev.downloadservice.access;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Expiring links: {@code expires=<unix seconds>} and a signature of it and the path, made by whoever knows the
 * secret (the site's CMS). Two signatures are taken, both base64url without padding:
 * <ul>
 * <li>{@code md5}: MD5 of {@code "<expires><path> <secret>"}, exactly what nginx's
 *     {@code secure_link_md5 "$secure_link_expires$uri $secret"} checks, so a CMS that makes nginx's links makes
 *     these;
 * <li>{@code sig}: HMAC-SHA256 of {@code "<expires><path>"} keyed by the secret, the recommended form (MD5 of a
 *     secret and known text is open to length extension and to fast guessing of a weak secret).
 * </ul>
 * The signature covers the path alone: other parameters (a selection, a name) can only narrow or rename what the
 * link gives. A link is expired once {@code expires} is in the past, as nginx decides it; for {@code grace} after
 * that, the HTTP side may still serve a resume of a download that began in time. No I/O, no HTTP: a pure function
 * of the parameters, the path and the time.
 */
public final class SignedLinks {

    /** Why a link is refused; a tag of the metric that counts refusals. */
    public enum Reason {
        /** No {@code expires}, or no signature, or one of them twice. */
        MISSING,
        /** A signature that is not the link's (or not base64url of the right length, or a malformed expires). */
        WRONG,
        /** A good signature whose time is over. */
        EXPIRED;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a link's parameters are worth at a time. */
    public sealed interface Verdict {
    }

    /** Signed and in time. */
    public record Valid() implements Verdict {
    }

    /** Refused whatever the request: 403 (missing, wrong). */
    public record Refused(Reason reason) implements Verdict {
    }

    /**
     * Signed, but its time is over: 410, unless the grace still runs and the request resumes the archive a
     * download of it began with.
     */
    public record Expired(boolean withinGrace) implements Verdict {
    }

    /** What the unix time of {@code expires} may be: digits, as nginx's parser takes them. */
    private static final Pattern EXPIRES = Pattern.compile("[0-9]{1,18}");
    /** A signature's parameter and value in a logged URL. */
    private static final Pattern SIGNATURE_IN_URL = Pattern.compile("([?&;](?:md5|sig)=)[^&;#]*");
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final String HMAC = "HmacSHA256";

    private final String secret;
    private final long graceSeconds;

    public SignedLinks(String secret, Duration grace) {
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("an empty secret would let anyone sign");
        }
        this.secret = secret;
        this.graceSeconds = grace.toSeconds();
    }

    /**
     * @param path       the request's decoded path, {@code /archive/<hash>/}
     * @param parameters the query's decoded parameters, each with all its values
     * @param nowSeconds the unix time now
     */
    public Verdict verify(String path, Map<String, List<String>> parameters, long nowSeconds) {
        List<String> expires = parameters.getOrDefault("expires", List.of());
        List<String> md5 = parameters.getOrDefault("md5", List.of());
        List<String> sig = parameters.getOrDefault("sig", List.of());
        if (expires.size() != 1 || md5.size() + sig.size() != 1) {
            return new Refused(Reason.MISSING);
        }
        String expiresText = expires.get(0);
        if (!EXPIRES.matcher(expiresText).matches()) {
            return new Refused(Reason.WRONG);
        }
        boolean signed = md5.size() == 1
                ? matches(md5.get(0), md5(expiresText, path))
                : matches(sig.get(0), hmac(expiresText, path));
        if (!signed) {
            return new Refused(Reason.WRONG);
        }
        long expiresAt = Long.parseLong(expiresText);
        if (expiresAt >= nowSeconds) { // nginx: expired once expires < now
            return new Valid();
        }
        return new Expired(nowSeconds - expiresAt <= graceSeconds);
    }

    /**
     * The URL with the values of {@code md5=} and {@code sig=} replaced, for the access log: a logged signature is
     * a working link until it expires, and with its expires and path a way to guess a weak secret offline.
     */
    public static String redacted(String uri) {
        return uri.indexOf('?') < 0 ? uri : SIGNATURE_IN_URL.matcher(uri).replaceAll("$1REDACTED");
    }

    /**
     * In constant time: how much of a guess is right must not show in how long the answer takes. The text is
     * compared, not the bytes it decodes to: base64 has several spellings of one digest (its last character's unused
     * bits), and a link has one. Padding is left out before, as nginx's decoder stops at it.
     */
    private static boolean matches(String signature, byte[] expected) {
        byte[] given = signature.replaceFirst("=+\\z", "").getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, BASE64URL.encode(expected));
    }

    private byte[] md5(String expires, String path) {
        try {
            return MessageDigest.getInstance("MD5").digest((expires + path + " " + secret).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has MD5", e);
        }
    }

    private byte[] hmac(String expires, String path) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), HMAC));
            return mac.doFinal((expires + path).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every JVM has HMAC-SHA256 and takes any key for it", e);
        }
    }

    @Override
    public String toString() {
        return "SignedLinks[secret hidden, grace " + graceSeconds + " s]";
    }
}
