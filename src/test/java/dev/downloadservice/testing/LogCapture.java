package dev.downloadservice.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Collects what one logger logs, so a test can wait for a line it expects: for lines that
 * are themselves the feature (the access log, a warning to an operator). How a download
 * ended is in {@link ServiceMetrics}, so that log wording stays free to change.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    /** The logger's own level before, put back on close; null when it had none (it inherits one). */
    private final Level levelBefore;

    private LogCapture(String name, Level level) {
        this.logger = (Logger) LoggerFactory.getLogger(name);
        this.levelBefore = logger.getLevel();
        if (level != null) {
            logger.setLevel(level);
        }
        appender.start();
        logger.addAppender(appender);
    }

    public static LogCapture of(Class<?> source) {
        return new LogCapture(source.getName(), null);
    }

    /** Lines from this level up, though logback-test.xml quiets the logger (LocalFolders', say). */
    public static LogCapture of(Class<?> source, Level level) {
        return new LogCapture(source.getName(), level);
    }

    /** A logger by name, such as "access". */
    public static LogCapture named(String name) {
        return new LogCapture(name, null);
    }

    public List<String> messages() {
        // Logback appends while holding the appender's lock.
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** The first message that matches, waiting up to {@code timeout} for it. */
    public String await(Predicate<String> matching, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String message : messages()) {
                if (matching.test(message)) {
                    return message;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no log line matched within " + timeout + "; lines: " + messages());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(levelBefore);
    }
}
