package dev.downloadservice.source.local;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Tells the errors that mean "the folder changed since it was listed" (a name gone, a
 * link or a file where a directory or file was) from real failures (no descriptors
 * left, an I/O error), which must never be disguised as a change.
 */
final class FolderChanges {

    private FolderChanges() {
    }

    static boolean isGone(IOException e) {
        return e instanceof NoSuchFileException;
    }

    /**
     * ELOOP (a link met with O_NOFOLLOW) and ENOTDIR. The JDK reports ELOOP from an open
     * as a plain IOException whose message is the system's error text; elsewhere the
     * text is a FileSystemException's reason. The message of a FileSystemException also
     * holds the path, which the folder's owner chooses, so it is never matched.
     */
    static boolean isReplaced(IOException e) {
        if (e instanceof NotDirectoryException) {
            return true;
        }
        String reason = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
        return reason != null
                && (reason.startsWith("Too many levels of symbolic links") || reason.startsWith("Not a directory"));
    }
}
