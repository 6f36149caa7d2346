package dev.downloadservice.source;

import java.io.IOException;

/** A file is no longer what the listing saw: its bytes must not go into an archive planned from it. */
public final class FileChangedException extends IOException {

    public FileChangedException(String message) {
        super(message);
    }
}
