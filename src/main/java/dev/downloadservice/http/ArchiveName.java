package dev.downloadservice.http;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Optional;

/**
 * The name a download is saved as (Content-Disposition, RFC 6266): the name a site asked for ({@code name=}),
 * made safe, with {@code .zip} added unless it ends so; without one, or if nothing of it is left, the folder's.
 * Nothing that could lead a browser or a file system astray reaches the header: no slash or backslash, no
 * quote, no control or invisible formatting character (a right-to-left override could make
 * {@code photos‮piz.exe} look harmless), no name of more than {@link #MAX_BYTES} bytes. A name that is
 * not plain ASCII goes in the RFC 8187 form ({@code filename*}), which every current browser reads, after an
 * ASCII stand-in for clients that read only {@code filename} ({@code curl -OJ}).
 *
 * @param fileName the name, with its extension
 * @param fallback its plain ASCII stand-in: accents dropped, other letters made {@code _}
 */
record ArchiveName(String fileName, String fallback) {

    /** The longest name, in UTF-8 bytes, its extension included. */
    static final int MAX_BYTES = 200;

    private static final String EXTENSION = ".zip";
    /** The name when neither the one asked for nor the folder's leaves anything. */
    private static final String DEFAULT = "archive" + EXTENSION;
    /** What never reaches a name: separators, the quote, and what Windows refuses in one. */
    private static final String UNSAFE = "/\\\"<>:|?*";
    /** What is not a name's first or last character: a leading dot hides a file, trailing dots and spaces Windows drops. */
    private static final String TRIMMED = ". ";
    /** Printable ASCII that is safe in a quoted filename and that no browser reads as an escape ({@code %}). */
    private static final String PLAIN_PUNCTUATION = " !#$&'()+,-.=@[]^_`{}~";
    /** RFC 8187 attr-char, besides letters and digits: what a filename* value holds unescaped. */
    private static final String ATTRIBUTE_PUNCTUATION = "!#$&+-.^_`|~";

    /** The name asked for, made safe, or the folder's if none was asked for or none is left of it. */
    static ArchiveName of(Optional<String> requested, String folder) {
        String folderName = fileName(folder);
        String name = requested.map(ArchiveName::fileName).filter(n -> !n.isEmpty())
                .orElse(folderName.isEmpty() ? DEFAULT : folderName);
        return new ArchiveName(name, Optional.of(ascii(name)).filter(ArchiveName::hasLetterOrDigit)
                .or(() -> Optional.of(ascii(folderName)).filter(ArchiveName::hasLetterOrDigit))
                .orElse(DEFAULT));
    }

    /** {@code attachment; filename="…"}, and {@code filename*=UTF-8''…} when the name is not plain ASCII. */
    String contentDisposition() {
        String plain = "attachment; filename=\"" + fallback + "\"";
        return fileName.equals(fallback) ? plain : plain + "; filename*=UTF-8''" + percentEncoded(fileName);
    }

    /** The name made safe and given its extension, cut to {@link #MAX_BYTES}; empty if nothing is left of it. */
    private static String fileName(String requested) {
        StringBuilder safe = new StringBuilder(requested.length());
        requested.codePoints().forEach(c -> {
            switch (Character.getType(c)) {
                case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                     Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> {
                    // dropped: invisible, or meaningless in a name
                }
                case Character.SPACE_SEPARATOR -> safe.append(' ');
                default -> safe.appendCodePoint(UNSAFE.indexOf(c) >= 0 ? '_' : c);
            }
        });
        return withExtension(safe.toString());
    }

    /** The name trimmed, cut and with its extension; empty if nothing is left of it. */
    private static String withExtension(String name) {
        String trimmed = trimmed(name);
        int end = trimmed.length() - EXTENSION.length();
        boolean hasExtension = end >= 0 && trimmed.substring(end).toLowerCase(Locale.ROOT).equals(EXTENSION);
        String stem = trimmed(cut(hasExtension ? trimmed.substring(0, end) : trimmed, MAX_BYTES - EXTENSION.length()));
        return stem.isEmpty() ? "" : stem + (hasExtension ? trimmed.substring(end) : EXTENSION);
    }

    /** Whether a name, without its extension, has a letter or a digit: else it says nothing. */
    private static boolean hasLetterOrDigit(String name) {
        return name.substring(0, Math.max(0, name.length() - EXTENSION.length())).chars()
                .anyMatch(Character::isLetterOrDigit);
    }

    /**
     * The name in plain ASCII: accents dropped (NFD, without the marks), then every character but plain ASCII
     * made {@code _}, a run of them one; empty if nothing is left of it.
     */
    private static String ascii(String name) {
        String decomposed = Normalizer.normalize(name, Normalizer.Form.NFD);
        StringBuilder ascii = new StringBuilder(decomposed.length());
        decomposed.codePoints().forEach(c -> {
            if (Character.getType(c) == Character.NON_SPACING_MARK) {
                return;
            }
            boolean plain = c < 0x80 && (Character.isLetterOrDigit(c) || PLAIN_PUNCTUATION.indexOf(c) >= 0);
            if (plain || ascii.isEmpty() || ascii.charAt(ascii.length() - 1) != '_') {
                ascii.append(plain ? (char) c : '_');
            }
        });
        return withExtension(ascii.toString());
    }

    /** At most {@code maxBytes} of UTF-8, cut between code points. */
    private static String cut(String text, int maxBytes) {
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            bytes += new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes > maxBytes) {
                return text.substring(0, i);
            }
            i += Character.charCount(c);
        }
        return text;
    }

    private static String trimmed(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && TRIMMED.indexOf(text.charAt(start)) >= 0) {
            start++;
        }
        while (end > start && TRIMMED.indexOf(text.charAt(end - 1)) >= 0) {
            end--;
        }
        return text.substring(start, end);
    }

    /** RFC 8187 value-chars: attr-chars as they are, every other byte of the UTF-8 as %XX. */
    private static String percentEncoded(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (c < 0x80 && (Character.isLetterOrDigit(c) || ATTRIBUTE_PUNCTUATION.indexOf(c) >= 0)) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return out.toString();
    }
}
