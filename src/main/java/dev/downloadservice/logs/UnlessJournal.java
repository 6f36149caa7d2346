package dev.downloadservice.logs;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.pattern.CompositeConverter;

/**
 * {@code %unlessJournal(...){N}}: what is inside, unless standard stream N is the journal. For
 * the time stamp: the journal stamps every line itself.
 */
public final class UnlessJournal extends CompositeConverter<ILoggingEvent> {

    private boolean journal;

    @Override
    public void start() {
        journal = Journal.isJournal(getFirstOption());
        super.start();
    }

    @Override
    protected String transform(ILoggingEvent event, String in) {
        return journal ? "" : in;
    }
}
