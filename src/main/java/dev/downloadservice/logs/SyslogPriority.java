package dev.downloadservice.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %syslogPriority{N}}: a line's syslog priority as a {@code <P>} prefix when standard
 * stream N (1 or 2) is the journal, which then files the line under that priority
 * ({@code journalctl -p warning} finds warnings; sd-daemon(3), {@code SyslogLevelPrefix=} in
 * systemd.exec(5)); nothing anywhere else.
 */
public final class SyslogPriority extends ClassicConverter {

    private boolean journal;

    @Override
    public void start() {
        journal = Journal.isJournal(getFirstOption());
        super.start();
    }

    @Override
    public String convert(ILoggingEvent event) {
        return journal ? prefix(event.getLevel()) : "";
    }

    /** syslog(3)'s numbers: err 3, warning 4, info 6, debug 7. */
    static String prefix(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> "<3>";
            case Level.WARN_INT -> "<4>";
            case Level.INFO_INT -> "<6>";
            default -> "<7>";
        };
    }
}
