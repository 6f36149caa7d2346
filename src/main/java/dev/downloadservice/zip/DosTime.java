package dev.downloadservice.zip;

import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * MS-DOS date and time (APPNOTE 4.4.6), always in UTC so that every machine writes
 * the same bytes whatever its time zone. DOS time covers 1980-01-01 to 2107-12-31
 * with two-second resolution; times outside are clamped to the nearest end.
 */
final class DosTime {

    private static final LocalDateTime EARLIEST = LocalDateTime.of(1980, 1, 1, 0, 0, 0);
    private static final LocalDateTime LATEST = LocalDateTime.of(2107, 12, 31, 23, 59, 58);

    private DosTime() {
    }

    /** The 32-bit value whose high half is the date and low half the time. */
    static int of(long epochMillis) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(Math.floorDiv(epochMillis, 1000), 0, ZoneOffset.UTC);
        if (t.isBefore(EARLIEST)) {
            t = EARLIEST;
        } else if (t.isAfter(LATEST)) {
            t = LATEST;
        }
        int date = ((t.getYear() - 1980) << 9) | (t.getMonthValue() << 5) | t.getDayOfMonth();
        int time = (t.getHour() << 11) | (t.getMinute() << 5) | (t.getSecond() / 2);
        return (date << 16) | time;
    }
}
