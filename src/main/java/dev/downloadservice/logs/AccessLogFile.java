package dev.downloadservice.logs;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.LoggerFactory;

/**
 * The access log in a file instead of on standard output, for logrotate: it renames the file,
 * then sends SIGHUP, and {@link #reopen} starts a new file under the name. A line is written
 * whole to one file or the other, never lost between them: the swap takes the appender's own
 * lock.
 */
public final class AccessLogFile extends OutputStreamAppender<ILoggingEvent> {

    private final Path file;

    private AccessLogFile(Path file) {
        this.file = file;
    }

    /**
     * From now on the "access" logger writes to {@code file} (appending) and nowhere else.
     *
     * @throws IOException the file cannot be opened for appending; nothing changed then
     */
    public static AccessLogFile install(Path file) throws IOException {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        AccessLogFile appender = new AccessLogFile(file);
        appender.setContext(context);
        appender.setName("ACCESS_FILE");
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        appender.setEncoder(encoder);
        appender.setOutputStream(appender.open());
        appender.start();
        Logger access = context.getLogger("access");
        access.detachAndStopAllAppenders();
        access.addAppender(appender);
        return appender;
    }

    /** Opens the file under its name again; if that fails, lines go on to the file open until now. */
    public void reopen() throws IOException {
        setOutputStream(open());
    }

    public Path file() {
        return file;
    }

    private OutputStream open() throws IOException {
        return Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }
}
