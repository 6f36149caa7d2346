package dev.downloadservice.source;

/** Which file names can become ZIP entry names unchanged. */
public final class EntryNames {

    private EntryNames() {
    }

    /**
     * Why a file name cannot be an entry name, or null if it can. Such names are
     * left out whatever the archive's rule for names (--entry-names): what a listing
     * holds does not depend on how the archive names it.
     */
    public static String whyUnsafe(String fileName) {
        for (int i = 0; i < fileName.length(); i++) {
            char c = fileName.charAt(i);
            if (c == '\\') {
                return "a backslash in the name";
            }
            if (c < 0x20 || c == 0x7F) {
                return "a control character in the name";
            }
            if (c == '\uFFFD') {
                // What the JVM decodes bytes that are not UTF-8 to.
                return "the name is not valid UTF-8";
            }
        }
        return null;
    }

    /** The name with control characters escaped, fit for one log line. */
    public static String printable(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
