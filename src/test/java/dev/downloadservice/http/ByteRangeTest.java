package dev.downloadservice.http;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteRangeTest {

    private static final long LENGTH = 1000;

    @ParameterizedTest(name = "{0} -> [{1}, {2})")
    @CsvSource(delimiter = '|', value = {
            "bytes=0-0|0|1",
            "bytes=0-999|0|1000",
            "bytes=0-5000|0|1000",      // an end past the last byte is clamped
            "bytes=500-|500|1000",
            "bytes=999-|999|1000",
            "bytes=-1|999|1000",
            "bytes=-1000|0|1000",
            "bytes=-5000|0|1000",       // a suffix longer than the whole is the whole
            "BYTES=10-19|10|20",
            "bytes=0-99999999999999999999999|0|1000",
    })
    void parse_satisfiableRange_isThatPart(String header, long start, long end) {
        assertThat(ByteRange.parse(header, LENGTH)).isEqualTo(new ByteRange.Part(start, end));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {"bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=99999999999999999999999-"})
    void parse_noByteInRange_isUnsatisfiable(String header) {
        assertThat(ByteRange.parse(header, LENGTH)).isInstanceOf(ByteRange.Unsatisfiable.class);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {"bytes=5-4", "bytes=a-b", "bytes=-", "bytes=1-2,5-6", "items=0-1", "bytes 0-1",
            "bytes=0x1-2", "bytes=--1", "bytes=1--2", "bytes=+1-2", "bytes=", "''"})
    void parse_malformedOrSeveralRanges_isTheWhole(String header) {
        assertThat(ByteRange.parse(header, LENGTH)).isInstanceOf(ByteRange.Whole.class);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"bytes=0-0", "bytes=-1", "bytes=0-"})
    void parse_emptyRepresentation_everyRangeUnsatisfiable(String header) {
        assertThat(ByteRange.parse(header, 0)).isInstanceOf(ByteRange.Unsatisfiable.class);
    }

    @Property
    void parse_firstLast_matchesTheDefinitionInRfc9110(
            @ForAll @LongRange(max = 10_000) long length,
            @ForAll @LongRange(max = 20_000) long first,
            @ForAll @LongRange(max = 20_000) long last) {
        ByteRange range = ByteRange.parse("bytes=" + first + "-" + last, length);

        if (last < first) {
            assertThat(range).isInstanceOf(ByteRange.Whole.class);
        } else if (first >= length) {
            assertThat(range).isInstanceOf(ByteRange.Unsatisfiable.class);
        } else {
            assertThat(range).isEqualTo(new ByteRange.Part(first, Math.min(last + 1, length)));
        }
    }

    @Property
    void parse_suffix_isTheLastBytesAndNeverEmpty(
            @ForAll @LongRange(max = 10_000) long length,
            @ForAll @LongRange(max = 20_000) long suffix) {
        ByteRange range = ByteRange.parse("bytes=-" + suffix, length);

        if (suffix == 0 || length == 0) {
            assertThat(range).isInstanceOf(ByteRange.Unsatisfiable.class);
        } else {
            ByteRange.Part part = (ByteRange.Part) range;
            assertThat(part.end()).isEqualTo(length);
            assertThat(part.length()).isEqualTo(Math.min(suffix, length)).isPositive();
        }
    }
}
