package dev.downloadservice.source.s3;

import dev.downloadservice.source.EntryNames;

/** Which object keys can become entry names: the same rules as file names, per "directory". */
final class ObjectNames {

    private ObjectNames() {
    }

    /**
     * Why the part of a key below its folder cannot name an entry, or null if it can.
     * A key ending in '/' names a directory. Such keys are left out, never rewritten.
     */
    static String whyUnsafe(String relative) {
        String path = relative.endsWith("/") ? relative.substring(0, relative.length() - 1) : relative;
        if (path.startsWith("/")) {
            return "an absolute name";
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                return "an empty path segment (//)";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "a '" + segment + "' path segment";
            }
            String unsafe = EntryNames.whyUnsafe(segment);
            if (unsafe != null) {
                return unsafe;
            }
        }
        return null;
    }

    /** Whether a segment of the name starts with '.', as hidden files and folders do. */
    static boolean isHidden(String relative) {
        return relative.startsWith(".") || relative.contains("/.");
    }
}
