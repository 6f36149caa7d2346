package dev.downloadservice.source.s3;

import dev.downloadservice.source.EntryNames;
import dev.downloadservice.source.Failures;
import dev.downloadservice.source.FileChangedException;
import dev.downloadservice.source.SourceUnavailableException;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** What a failed storage request means for a download, and how the metrics count it. */
final class StorageErrors {

    /** How a request failed, for the metrics. */
    enum Kind {
        NOT_FOUND, CHANGED, THROTTLED, SERVER_ERROR, CLIENT_ERROR, TIMEOUT, NETWORK,
        /** Bytes that do not match the CRC-32 the store keeps of them. */
        CORRUPT,
        /** Not the store's: a bug, or a setup the SDK rejects (no credentials); never retried as an outage. */
        OTHER;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private StorageErrors() {
    }

    static Kind kind(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof S3Exception s3) {
            int status = s3.statusCode();
            if (status == 404) {
                return Kind.NOT_FOUND;
            }
            if (status == 412) {
                return Kind.CHANGED;
            }
            if (s3.isThrottlingException() || status == 429 || status == 503) {
                return Kind.THROTTLED;
            }
            return status >= 500 ? Kind.SERVER_ERROR : Kind.CLIENT_ERROR;
        }
        if (cause instanceof StreamSum.NotMatching) {
            return Kind.CORRUPT;
        }
        if (cause instanceof ApiCallTimeoutException || cause instanceof ApiCallAttemptTimeoutException
                || cause instanceof TimeoutException) {
            return Kind.TIMEOUT;
        }
        if (cause instanceof IOException || cause instanceof SdkClientException && !isSetup(cause)) {
            return Kind.NETWORK;
        }
        return Kind.OTHER;
    }

    /** An SDK error of this service's setup, not of the network: no credentials or no region to be found. */
    private static boolean isSetup(Throwable error) {
        String message = String.valueOf(error.getMessage());
        return message.contains("credentials") || message.contains("Unable to load region");
    }

    /**
     * The failure of reading an object of a listing: gone or replaced (precondition failed)
     * is a {@link FileChangedException}, as on disk; anything else is the store's failure.
     */
    static IOException forObject(Throwable error, String name, String key) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof IOException io) {
            return io;
        }
        String message = "expected to read " + EntryNames.printable(key) + " from the store, found: " + describe(cause);
        return switch (kind(cause)) {
            case NOT_FOUND -> new FileChangedException(EntryNames.printable(name) + " was removed from the store");
            case CHANGED -> new FileChangedException(EntryNames.printable(name)
                    + " changed in the store (its ETag is not the listed one)");
            case THROTTLED, SERVER_ERROR, TIMEOUT, NETWORK -> new SourceUnavailableException(message, cause);
            default -> new IOException(message, cause);
        };
    }

    /** The failure of listing a folder: the store's, worth a retry later unless it is a mistake of the setup. */
    static IOException forListing(Throwable error, String bucket, String prefix) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof IOException io) {
            return io;
        }
        String message = "expected to list s3://" + bucket + "/" + prefix + ", found: " + describe(cause);
        return switch (kind(cause)) {
            case THROTTLED, SERVER_ERROR, TIMEOUT, NETWORK -> new SourceUnavailableException(message, cause);
            default -> new IOException(message, cause);
        };
    }

    /**
     * Whether a store refused the request as such: 400 Bad Request or 501 Not Implemented,
     * what S3-compatible stores answer a header they do not take (a HEAD's answer has no body
     * to say which header).
     */
    static boolean isRefusedHeader(Throwable error) {
        return Failures.cause(error) instanceof S3Exception s3 && (s3.statusCode() == 400 || s3.statusCode() == 501);
    }

    /** Whether reading on from where a stream broke may help: not when the object changed or is gone. */
    static boolean worthResuming(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof FileChangedException) {
            return false;
        }
        Kind kind = kind(cause);
        return kind != Kind.NOT_FOUND && kind != Kind.CHANGED && kind != Kind.CLIENT_ERROR && kind != Kind.OTHER;
    }

    static String describe(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof S3Exception s3) {
            AwsErrorDetails details = s3.awsErrorDetails();
            String code = details == null ? null : details.errorCode();
            String message = details == null ? null : details.errorMessage();
            return "HTTP " + s3.statusCode() + (code == null ? "" : " " + code) + (message == null ? "" : ": " + message);
        }
        if (cause instanceof SdkClientException) {
            return cause.getMessage();
        }
        return cause.toString();
    }
}
