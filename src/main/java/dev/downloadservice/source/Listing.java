package dev.downloadservice.source;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The files of one folder, sorted as they go into the archive.
 *
 * @param folderMtimeMillis the folder's own modification time, or {@link #NO_FOLDER_TIME} where
 *                          folders have none (an object store): it changes when an entry is
 *                          added, removed or renamed, which no file's time shows
 */
public record Listing(String folder, long folderMtimeMillis, List<SourceFile> files) {

    /** A folder without a time of its own: a removed file then shows in no time, so dates do not validate. */
    public static final long NO_FOLDER_TIME = -1;

    public Listing {
        files = List.copyOf(files);
    }

    /**
     * The order of the archive, whatever the source: UTF-8 bytes of the full relative name,
     * so "dir/" sorts right before its contents.
     */
    public static List<SourceFile> inArchiveOrder(List<SourceFile> files) {
        return inOrderOfNames(files, SourceFile::name);
    }

    /** Things in the archive's order of their names. Each name is encoded once, not once per comparison. */
    public static <T> List<T> inOrderOfNames(List<T> things, Function<T, String> name) {
        record Keyed<T>(byte[] key, T thing) {
        }
        return things.stream()
                .map(t -> new Keyed<>(name.apply(t).getBytes(StandardCharsets.UTF_8), t))
                .sorted((a, b) -> Arrays.compareUnsigned(a.key(), b.key()))
                .map(Keyed::thing)
                .toList();
    }
}
