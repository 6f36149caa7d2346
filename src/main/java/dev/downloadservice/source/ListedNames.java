package dev.downloadservice.source;

/**
 * Which names a listing holds besides those every archive can take as they are. A name that is not valid
 * UTF-8 is left out whatever this says, as is what each source refuses on its own ({@code ..}, links that
 * lead out).
 *
 * @param hidden             names starting with '.' (--include-hidden)
 * @param backslashOrControl names holding a backslash or a control character: only an archive that renames
 *                           them can hold them (--entry-names portable maps both to '_'), since Windows tools
 *                           take a backslash for a folder separator and no disk of Windows takes a control
 *                           character. A backslash is then part of one name, never a separator: {@code
 *                           dir\photo.jpg} is one file. The sources decide this, not the archive, because on
 *                           an object store what is listed makes the folders too: a key {@code a/b\c} alone
 *                           makes a folder {@code a/}, with a time, which an archive that leaves it out must
 *                           not have
 */
public record ListedNames(boolean hidden, boolean backslashOrControl) {

    /** Why a file name is left out of listings, or null if it is listed. Hidden names are each source's to tell. */
    public String whyLeftOut(String fileName) {
        for (int i = 0; i < fileName.length(); i++) {
            char c = fileName.charAt(i);
            if (c == '\\' && !backslashOrControl) {
                return "a backslash in the name";
            }
            if ((c < 0x20 || c == 0x7F) && !backslashOrControl) {
                return "a control character in the name";
            }
            if (c == '\uFFFD') {
                // What the JVM decodes bytes that are not UTF-8 to.
                return "the name is not valid UTF-8";
            }
        }
        return null;
    }
}
