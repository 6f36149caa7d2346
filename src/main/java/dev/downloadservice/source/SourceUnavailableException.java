package dev.downloadservice.source;

import java.io.IOException;

/** The source cannot answer now (an object store's errors, after its retries): worth trying again later. */
public final class SourceUnavailableException extends IOException {

    public SourceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
