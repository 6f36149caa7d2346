package dev.downloadservice.source;

import java.util.List;

/** The files of one folder, sorted as they go into the archive. */
public record Listing(String folder, List<SourceFile> files) {

    public Listing {
        files = List.copyOf(files);
    }
}
