package dev.downloadservice.source;

/** File names in the log. */
public final class EntryNames {

    private EntryNames() {
    }

    /**
     * The name with control characters escaped, fit for one log line; a backslash is doubled, so that a name
     * holding the text {@code \x07} is told from one holding a bell.
     */
    public static String printable(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
