package dev.downloadservice.source;

import java.util.List;

/**
 * The files of one folder, sorted as they go into the archive.
 *
 * @param folderMtimeMillis the folder's own modification time: it changes when an entry is
 *                          added, removed or renamed, which no file's time shows
 */
public record Listing(String folder, long folderMtimeMillis, List<SourceFile> files) {

    public Listing {
        files = List.copyOf(files);
    }
}
