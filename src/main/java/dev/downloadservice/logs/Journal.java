package dev.downloadservice.logs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a standard stream is systemd's journal: systemd sets {@code JOURNAL_STREAM} to the
 * device and inode of the journal's socket when it connects a service's output there
 * (systemd.exec(5)). Compared with the stream itself, so that a program started by the service
 * with its output elsewhere, or a shell that inherited the variable, is not taken for it.
 */
final class Journal {

    private Journal() {
    }

    /** @param descriptor "1" (standard output) or "2" (standard error), as a pattern's option gives it */
    static boolean isJournal(String descriptor) {
        if (!descriptor.equals("1") && !descriptor.equals("2")) {
            throw new IllegalArgumentException("expected the stream 1 or 2, found " + descriptor);
        }
        return names(System.getenv("JOURNAL_STREAM"), Path.of("/proc/self/fd", descriptor));
    }

    /** Whether {@code journalStream} ("device:inode") names the file or socket {@code stream} leads to. */
    static boolean names(String journalStream, Path stream) {
        if (journalStream == null || journalStream.isEmpty()) {
            return false;
        }
        try {
            // stat follows the descriptor's link to the socket (or file) itself.
            Object device = Files.getAttribute(stream, "unix:dev");
            Object inode = Files.getAttribute(stream, "unix:ino");
            return journalStream.equals(device + ":" + inode);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
