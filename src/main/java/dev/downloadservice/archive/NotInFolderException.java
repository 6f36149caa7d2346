package dev.downloadservice.archive;

/**
 * A selection names a path that is not a file of the folder's listing: no such file, a directory, or one
 * the listing leaves out (hidden, a link that leads outside, a name with {@code ..}). Nothing is sent.
 */
public final class NotInFolderException extends RuntimeException {

    private final String path;

    NotInFolderException(String folder, String path) {
        super("folder " + folder + " has no file " + path, null, false, false);
        this.path = path;
    }

    /** The path as it was asked for. */
    public String path() {
        return path;
    }
}
