package dev.downloadservice.logs;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Where the command line's refusals go (a bad option value, exit 2): standard error, each line
 * with the error priority ({@code <3>}) when that is the journal, so that
 * {@code journalctl -p warning} shows why the service did not start, not only that it failed.
 * These lines are printed before logging starts, so they cannot take a logger's priority.
 */
public final class RefusalStream {

    private static final String ERROR_PRIORITY = "<3>";

    private RefusalStream() {
    }

    public static PrintWriter of(PrintStream standardError) {
        Writer plain = new OutputStreamWriter(standardError, StandardCharsets.UTF_8);
        return new PrintWriter(Journal.isJournal("2") ? new Prioritized(plain) : plain, /* autoFlush= */ true);
    }

    /** Puts the priority before every line. */
    private static final class Prioritized extends FilterWriter {

        private boolean atLineStart = true;

        Prioritized(Writer out) {
            super(out);
        }

        @Override
        public void write(int c) throws IOException {
            if (atLineStart) {
                out.write(ERROR_PRIORITY);
            }
            out.write(c);
            atLineStart = c == '\n';
        }

        @Override
        public void write(char[] chars, int offset, int length) throws IOException {
            for (int i = offset; i < offset + length; i++) {
                write(chars[i]);
            }
        }

        @Override
        public void write(String text, int offset, int length) throws IOException {
            for (int i = offset; i < offset + length; i++) {
                write(text.charAt(i));
            }
        }
    }
}
