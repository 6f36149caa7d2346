package dev.downloadservice.archive;

import dev.downloadservice.source.FileVersion;
import dev.downloadservice.source.Listing;
import dev.downloadservice.source.SourceFile;
import dev.downloadservice.zip.ArchiveEntry;
import dev.downloadservice.zip.ArchivePlan;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * A folder's listing and the archive planned from it: everything needed before the
 * first byte, validators included.
 *
 * @param etag                strong entity tag: the same listing always gives the same bytes
 * @param lastModifiedSeconds the newest time of the folder, its subfolders and files
 * @param datesValidate       whether that time changes with every change of the archive: not when
 *                            the folder has no time of its own, since removing the newest file
 *                            would move it back (If-Modified-Since would then be answered 304 wrongly)
 */
public record PreparedArchive(Listing listing, ArchivePlan plan, String etag, long lastModifiedSeconds,
                       boolean datesValidate) {

    /**
     * Names the bytes this code writes for a listing; change it with any change to the
     * archive format, so that no client resumes an old download with new bytes.
     */
    static final String FORMAT = "zip-stored-v1";

    /**
     * The archive of a listing, its files named as {@code naming} says: a pure function of both, so every
     * replica plans the same bytes. Entries renamed may sort elsewhere than their files: the archive is in the
     * order of its entries' names, so its listing is then the same files in that order.
     */
    public static PreparedArchive of(Listing listing, EntryNaming naming) {
        List<String> fileNames = listing.files().stream().map(SourceFile::name).toList();
        List<String> names = naming.entryNames(fileNames);
        Listing ordered = listing;
        if (!names.equals(fileNames)) {
            List<Named> named = new ArrayList<>(names.size());
            for (int i = 0; i < names.size(); i++) {
                named.add(new Named(names.get(i), listing.files().get(i)));
            }
            named = Listing.inOrderOfNames(named, Named::name);
            names = named.stream().map(Named::name).toList();
            ordered = new Listing(listing.folder(), listing.folderMtimeMillis(), named.stream().map(Named::file).toList());
        }
        List<ArchiveEntry> entries = new ArrayList<>(names.size());
        long newest = Math.max(0, listing.folderMtimeMillis());
        for (int i = 0; i < names.size(); i++) {
            SourceFile file = ordered.files().get(i);
            entries.add(file.isDirectory()
                    ? ArchiveEntry.directory(names.get(i), file.mtimeMillis(), file.permissions())
                    : ArchiveEntry.file(names.get(i), file.size(), file.mtimeMillis(), file.permissions()));
            newest = Math.max(newest, file.mtimeMillis());
        }
        return new PreparedArchive(ordered, ArchivePlan.of(entries), etag(names, ordered.files()),
                Math.floorDiv(newest, 1000), listing.folderMtimeMillis() != Listing.NO_FOLDER_TIME);
    }

    /** An entry's name and the file it names. */
    private record Named(String name, SourceFile file) {
    }

    /**
     * A digest of everything the archive's bytes depend on, read from the listing, never from content: the
     * entries' names (so a change of --entry-names that renames an entry changes the tag), and the files' sizes
     * and versions.
     */
    private static String etag(List<String> names, List<SourceFile> files) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        digest.update(FORMAT.getBytes(StandardCharsets.UTF_8));
        ByteBuffer numbers = ByteBuffer.allocate(6 * Long.BYTES);
        for (int i = 0; i < files.size(); i++) {
            SourceFile file = files.get(i);
            byte[] name = names.get(i).getBytes(StandardCharsets.UTF_8);
            FileVersion version = file.version();
            numbers.clear();
            // The key's hash (device and inode, or an object's ETag) tells a replaced file with the same size and
            // times; the ctime, a file written in place whose writer put the old mtime back.
            numbers.putLong(name.length).putLong(file.size()).putLong(version.mtimeNanos())
                    .putLong(version.ctimeNanos()).putLong(file.permissions()).putLong(Objects.hashCode(version.key()));
            digest.update(numbers.array());
            digest.update(name);
        }
        byte[] hash = Arrays.copyOf(digest.digest(), 18);
        return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash) + "\"";
    }
}
