package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The archive's name (?name=) as it reaches Content-Disposition: whatever is asked for, nothing unsafe gets in. */
class ArchiveNameProperties {

    private static final Pattern HEADER =
            Pattern.compile("attachment; filename=\"([^\"\\\\]*)\"(?:; filename\\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+))?");

    @Property(tries = 1000)
    void anyName_aHeaderOfPlainPrintableAsciiWithASafeNameOfAtMost200Bytes(@ForAll("names") String requested) {
        ArchiveName name = ArchiveName.of(Optional.of(requested), "gallery-0123456789");
        String header = name.contentDisposition();

        assertThat(header.chars()).allMatch(c -> c >= 0x20 && c < 0x7F);
        Matcher parts = HEADER.matcher(header);
        assertThat(parts.matches()).as(header).isTrue();
        String extended = parts.group(2) == null ? parts.group(1)
                : URLDecoder.decode(parts.group(2).replace("+", "%2B"), StandardCharsets.UTF_8);
        assertThat(extended).isEqualTo(name.fileName());
        for (String fileName : new String[] {parts.group(1), extended}) {
            assertThat(fileName).doesNotContain("/", "\\", "\"").doesNotStartWith(".").doesNotStartWith(" ");
            assertThat(fileName.codePoints()).noneMatch(c -> Character.isISOControl(c)
                    || Character.getType(c) == Character.FORMAT || c == '\u2028' || c == '\u2029');
            assertThat(fileName.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ArchiveName.MAX_BYTES);
            assertThat(fileName.toLowerCase(Locale.ROOT)).endsWith(".zip").hasSizeGreaterThan(4);
        }
        assertThat(parts.group(1)).doesNotContain("%", ";");
    }

    @Provide
    Arbitrary<String> names() {
        Arbitrary<String> hostile = Arbitraries.of("/", "\\", "\"", "\r", "\n", "\u0000", "\u202E", "\u2028", ".", " ",
                "%2F", ";", ".zip", ".ZIP", "Свадьба", "\uD83D\uDE00", "\uD800", "é", "e\u0301", "..", "CON");
        return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(300),
                hostile.list().ofMaxSize(80).map(parts -> String.join("", parts)),
                Arbitraries.strings().withChars("Жж ").ofMinLength(90).ofMaxLength(150));
    }

    @Example
    void cyrillic_inTheExtendedFormWithAnAsciiStandIn() {
        assertThat(ArchiveName.of(Optional.of("Свадьба 2024"), "g").contentDisposition()).isEqualTo(
                "attachment; filename=\"_ 2024.zip\"; filename*=UTF-8''%D0%A1%D0%B2%D0%B0%D0%B4%D1%8C%D0%B1%D0%B0%202024.zip");
    }

    @Example
    void accents_droppedInTheStandIn_zipNotAddedTwice() {
        ArchiveName name = ArchiveName.of(Optional.of("Café Été.ZIP"), "g");

        assertThat(name.fileName()).isEqualTo("Café Été.ZIP");
        assertThat(name.fallback()).isEqualTo("Cafe Ete.ZIP");
    }

    @Example
    void long_cutOnACodePointTo200Bytes() {
        ArchiveName name = ArchiveName.of(Optional.of("Ж".repeat(150)), "g");

        assertThat(name.fileName()).isEqualTo("Ж".repeat(98) + ".zip"); // 196 bytes of two-byte letters
    }

    @Example
    void unsafe_replacedOrDropped() {
        assertThat(ArchiveName.of(Optional.of("../2024/05\\a\"b\r\nc\u202Ed"), "g").fileName()).isEqualTo("_2024_05_a_bcd.zip");
    }

    @Example
    void nothingLeft_theFolders() {
        assertThat(ArchiveName.of(Optional.of(" ..\r\n "), "gallery").fileName()).isEqualTo("gallery.zip");
        assertThat(ArchiveName.of(Optional.empty(), "gallery").contentDisposition())
                .isEqualTo("attachment; filename=\"gallery.zip\"");
        assertThat(ArchiveName.of(Optional.of("Свадьба"), "gallery").fallback()).isEqualTo("gallery.zip");
    }
}
