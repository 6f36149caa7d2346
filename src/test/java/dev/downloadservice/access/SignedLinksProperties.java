package dev.downloadservice.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.downloadservice.access.SignedLinks.Expired;
import dev.downloadservice.access.SignedLinks.Reason;
import dev.downloadservice.access.SignedLinks.Refused;
import dev.downloadservice.access.SignedLinks.Valid;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;

/** The rules of a signed link, for any secret, path and time: only the link's own signature, in time, passes. */
class SignedLinksProperties {

    private static final long NOW = 1_780_000_000L;
    private static final Duration GRACE = Duration.ofHours(24);

    /** nginx's documentation of secure_link_md5 gives this link; our string is its, without $remote_addr. */
    @Example
    void md5_nginxsDocumentedExample_isValid() {
        // "2147483647/s/link127.0.0.1 secret" is nginx's "$secure_link_expires$uri$remote_addr secret".
        SignedLinks links = new SignedLinks("secret", GRACE);

        assertThat(links.verify("/s/link127.0.0.1", query("2147483647", "md5", "_e4Nc3iduzkWRm01TBBNYw"), NOW))
                .isEqualTo(new Valid());
    }

    @Property(tries = 100)
    void ownSignature_untilExpiry_valid(@ForAll("secrets") String secret, @ForAll("paths") String path,
                                        @ForAll @LongRange(min = 0, max = 100_000_000) long ahead,
                                        @ForAll boolean md5) throws Exception {
        String expires = Long.toString(NOW + ahead);

        assertThat(new SignedLinks(secret, GRACE).verify(path, signed(md5, secret, expires, path), NOW))
                .isEqualTo(new Valid());
    }

    @Property(tries = 100)
    void ownSignature_afterExpiry_expiredWithinGraceOrNot(@ForAll("secrets") String secret, @ForAll("paths") String path,
                                                          @ForAll @LongRange(min = 1, max = 200_000) long late,
                                                          @ForAll boolean md5) throws Exception {
        String expires = Long.toString(NOW - late);

        assertThat(new SignedLinks(secret, GRACE).verify(path, signed(md5, secret, expires, path), NOW))
                .isEqualTo(new Expired(late <= GRACE.toSeconds()));
    }

    /** Another path, another time, another secret, or one character of the signature changed: all wrong. */
    @Property(tries = 150)
    void anyOtherSignature_wrong(@ForAll("secrets") String secret, @ForAll("paths") String path,
                                 @ForAll boolean md5, @ForAll @IntRange(min = 0, max = 3) int change,
                                 @ForAll @IntRange(min = 0, max = 42) int position) throws Exception {
        String expires = Long.toString(NOW + 3600);
        Map<String, List<String>> link = switch (change) {
            case 0 -> signed(md5, secret, expires, path + "x");
            case 1 -> query(expires, md5 ? "md5" : "sig",
                    signed(md5, secret, Long.toString(NOW + 3601), path).get(md5 ? "md5" : "sig").get(0));
            case 2 -> signed(md5, secret + "x", expires, path);
            default -> {
                String signature = signed(md5, secret, expires, path).get(md5 ? "md5" : "sig").get(0);
                int at = position % signature.length();
                char other = signature.charAt(at) == 'A' ? 'B' : 'A';
                yield query(expires, md5 ? "md5" : "sig", signature.substring(0, at) + other + signature.substring(at + 1));
            }
        };

        assertThat(new SignedLinks(secret, GRACE).verify(path, link, NOW)).isEqualTo(new Refused(Reason.WRONG));
    }

    @Example
    void missingOrDoubled_missing() throws Exception {
        SignedLinks links = new SignedLinks("secret", GRACE);
        String expires = Long.toString(NOW + 60);
        String md5 = signed(true, "secret", expires, "/archive/a/").get("md5").get(0);
        String sig = signed(false, "secret", expires, "/archive/a/").get("sig").get(0);

        for (Map<String, List<String>> link : List.of(Map.<String, List<String>>of(),
                Map.of("md5", List.of(md5)),
                Map.of("expires", List.of(expires)),
                Map.of("expires", List.of(expires, expires), "md5", List.of(md5)),
                Map.of("expires", List.of(expires), "md5", List.of(md5), "sig", List.of(sig)))) {
            assertThat(links.verify("/archive/a/", link, NOW)).as(link.toString()).isEqualTo(new Refused(Reason.MISSING));
        }
        assertThat(links.verify("/archive/a/", query("+" + expires, "md5", md5), NOW)).isEqualTo(new Refused(Reason.WRONG));
        assertThat(links.verify("/archive/a/", query(expires, "md5", md5 + "=="), NOW))
                .as("padding, which base64 decoders take").isEqualTo(new Valid());
    }

    /** What the access log keeps of a link: everything but the signature's value. */
    @Property(tries = 50)
    void redacted_keepsAllButTheSignature(@ForAll("base64url") String signature, @ForAll boolean md5,
                                          @ForAll @StringLength(max = 10) @AlphaChars String other) {
        String name = md5 ? "md5" : "sig";
        String uri = "/archive/abc/?expires=1700000000&" + name + "=" + signature + "&name=" + other;

        assertThat(SignedLinks.redacted(uri))
                .isEqualTo("/archive/abc/?expires=1700000000&" + name + "=REDACTED&name=" + other);
        assertThat(SignedLinks.redacted("/archive/abc/?" + name + "=" + signature)).isEqualTo("/archive/abc/?" + name + "=REDACTED");
        assertThat(SignedLinks.redacted("/archive/" + name + "=" + signature + "/")).as("a path is no parameter")
                .isEqualTo("/archive/" + name + "=" + signature + "/");
    }

    @Provide
    Arbitrary<String> secrets() {
        return Arbitraries.strings().ofMinLength(1).ofMaxLength(64);
    }

    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.strings().withChars("abcXYZ019_-ä").ofMinLength(1).ofMaxLength(40)
                .map(hash -> "/archive/" + hash + "/");
    }

    @Provide
    Arbitrary<String> base64url() {
        return Arbitraries.strings().withChars("ABCabc0189-_").ofMinLength(1).ofMaxLength(43);
    }

    /** The link's parameters, its signature computed here as the README tells a CMS to. */
    private static Map<String, List<String>> signed(boolean md5, String secret, String expires, String path)
            throws Exception {
        byte[] digest;
        if (md5) {
            digest = MessageDigest.getInstance("MD5").digest((expires + path + " " + secret).getBytes(StandardCharsets.UTF_8));
        } else {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            digest = mac.doFinal((expires + path).getBytes(StandardCharsets.UTF_8));
        }
        return query(expires, md5 ? "md5" : "sig", Base64.getUrlEncoder().withoutPadding().encodeToString(digest));
    }

    private static Map<String, List<String>> query(String expires, String name, String signature) {
        return Map.of("expires", List.of(expires), name, List.of(signature));
    }
}
