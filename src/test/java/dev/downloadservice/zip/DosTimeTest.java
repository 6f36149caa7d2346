package dev.downloadservice.zip;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DosTimeTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "1970-01-01T00:00:00Z, 1980-01-01T00:00:00",   // before DOS time: clamped to its start
            "1979-12-31T23:59:59Z, 1980-01-01T00:00:00",
            "1980-01-01T00:00:00Z, 1980-01-01T00:00:00",
            "2024-02-29T13:45:31Z, 2024-02-29T13:45:30",   // two-second resolution rounds down
            "2107-12-31T23:59:58Z, 2107-12-31T23:59:58",
            "2108-01-01T00:00:00Z, 2107-12-31T23:59:58",   // after DOS time: clamped to its end
            "2200-06-01T12:00:00Z, 2107-12-31T23:59:58",
    })
    void of_instant_encodesUtcFieldsClampedToDosRange(String instant, String expected) {
        int dos = DosTime.of(Instant.parse(instant).toEpochMilli());

        assertThat(decode(dos)).isEqualTo(expected);
    }

    private static String decode(int dos) {
        int date = dos >>> 16;
        int time = dos & 0xFFFF;
        return String.format("%04d-%02d-%02dT%02d:%02d:%02d",
                (date >> 9) + 1980, (date >> 5) & 0xF, date & 0x1F,
                time >> 11, (time >> 5) & 0x3F, (time & 0x1F) * 2);
    }
}
