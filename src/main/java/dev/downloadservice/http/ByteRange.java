package dev.downloadservice.http;

import java.util.Locale;

/**
 * What a {@code Range} header (RFC 9110 section 14.2) asks of a representation of a
 * known length. One range is served as a 206; a header this service does not serve
 * as a range (several ranges, another unit, a malformed one) gets the whole
 * representation, which the RFC allows.
 */
sealed interface ByteRange {

    /** The whole representation: no Range header, or one to ignore. */
    record Whole() implements ByteRange {
    }

    /** The bytes {@code [start, end)}; never empty. */
    record Part(long start, long end) implements ByteRange {
        long length() {
            return end - start;
        }
    }

    /** No byte of the representation is in the range: 416. */
    record Unsatisfiable() implements ByteRange {
    }

    static ByteRange parse(String header, long length) {
        if (header == null) {
            return new Whole();
        }
        String value = header.strip();
        if (!value.toLowerCase(Locale.ROOT).startsWith("bytes=")) {
            return new Whole();
        }
        String spec = value.substring("bytes=".length()).strip();
        int dash = spec.indexOf('-');
        if (spec.contains(",") || dash < 0) {
            return new Whole();
        }
        String first = spec.substring(0, dash).strip();
        String last = spec.substring(dash + 1).strip();
        if (!digits(first) || !(last.isEmpty() || digits(last)) || (first.isEmpty() && last.isEmpty())) {
            return new Whole();
        }
        if (first.isEmpty()) {
            // A suffix: the last n bytes.
            long n = number(last);
            return n == 0 || length == 0 ? new Unsatisfiable() : new Part(Math.max(0, length - n), length);
        }
        long start = number(first);
        long endInclusive = last.isEmpty() ? Long.MAX_VALUE : number(last);
        if (endInclusive < start) {
            return new Whole(); // invalid: ignored, as RFC 9110 section 14.1.1 says
        }
        if (start >= length) {
            return new Unsatisfiable();
        }
        return new Part(start, Math.min(endInclusive, length - 1) + 1);
    }

    private static boolean digits(String s) {
        return s.isEmpty() || s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** A decimal that may be longer than a long holds: such a position is past any end. */
    private static long number(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException tooLarge) {
            return Long.MAX_VALUE;
        }
    }
}
